variable "log_group_arns" {
  description = "Log groups the instance's CloudWatch agent ships to (module log-groups)."
  type        = list(string)

  validation {
    condition     = length(var.log_group_arns) > 0 && alltrue([for a in var.log_group_arns : can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^:*]+$", a))])
    error_message = "log_group_arns must list log group ARNs (without a :* suffix)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the agent's metrics."
  type        = string
  default     = "CWAgent"

  validation {
    condition     = length(var.metrics_namespace) > 0 && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be a custom namespace (not AWS/...)."
  }
}

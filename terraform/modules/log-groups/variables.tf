variable "name" {
  description = "Name prefix of the stack; the groups are /<name>/<group>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "groups" {
  description = "Log groups under the prefix: ingest (the job), grafana (Grafana), system (boot and system logs)."
  type        = list(string)
  default     = ["ingest", "grafana", "system"]

  validation {
    condition     = length(var.groups) > 0 && alltrue([for g in var.groups : can(regex("^[a-z][a-z0-9-]{1,30}$", g))])
    error_message = "groups must be a non-empty list of lower-case names."
  }
}

variable "service_groups" {
  description = "More log groups by key and full name, for AWS services that log on the stack's behalf (e.g. the token function, the WAF)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in values(var.service_groups) : can(regex("^[A-Za-z0-9_./#-]{1,512}$", name))])
    error_message = "service_groups must map keys to log group names."
  }
}

variable "retention_days" {
  description = "Days CloudWatch Logs keeps the events."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_days)
    error_message = "retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the log groups."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "tags" {
  description = "Tags added to every log group."
  type        = map(string)
  default     = {}
}

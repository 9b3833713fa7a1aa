variable "name" {
  description = "Name prefix of the stack; the secret is named <name>/<purpose>-<suffix>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "purpose" {
  description = "What the secret holds, as a name part such as grafana-admin or grafana-secret-key."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.purpose))
    error_message = "purpose must be 3-41 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "description" {
  description = "Description of the secret, e.g. \"Grafana admin password of aqi\"."
  type        = string

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 2000
    error_message = "description must be 1-2000 characters."
  }
}

variable "length" {
  description = "Characters of the generated value (letters and digits)."
  type        = number
  default     = 32

  validation {
    condition     = var.length >= 20 && var.length <= 4096 && floor(var.length) == var.length
    error_message = "length must be a whole number from 20 to 4096."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "value_version" {
  description = "Increase to have Secrets Manager generate a new value on the next apply (instances launched after that use it)."
  type        = number
  default     = 1

  validation {
    condition     = var.value_version >= 1 && floor(var.value_version) == var.value_version
    error_message = "value_version must be a whole number from 1."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once; otherwise 7 to 30)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to the secret."
  type        = map(string)
  default     = {}
}

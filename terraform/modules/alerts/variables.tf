variable "name" {
  description = "Name prefix of the stack; the topic is <name>-alerts."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "email" {
  description = "E-mail address subscribed to the alerts (null: no subscription)."
  type        = string
  default     = null

  validation {
    condition     = var.email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.email))
    error_message = "email must be null or an e-mail address."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the topic."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "tags" {
  description = "Tags added to the topic."
  type        = map(string)
  default     = {}
}

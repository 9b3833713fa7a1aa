variable "name" {
  description = "Name prefix of the stack, used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "package_path" {
  description = "Zip of the store_tokens package (make store-tokens-zip writes build/lambda/store-tokens.zip)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must be a .zip file."
  }
}

variable "subnet_ids" {
  description = "Private subnets the function runs in (they reach the InfluxDB instance and, through the NAT gateway, Secrets Manager)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : startswith(s, "subnet-")])
    error_message = "subnet_ids must list at least one subnet ID."
  }
}

variable "security_group_id" {
  description = "Security group of the function (out to the InfluxDB port and HTTPS only)."
  type        = string

  validation {
    condition     = startswith(var.security_group_id, "sg-")
    error_message = "security_group_id must be a security group ID."
  }
}

variable "admin_secret_arn" {
  description = "Secret Timestream for InfluxDB created with the admin credentials (username, password, organization, bucket)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.admin_secret_arn))
    error_message = "admin_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "influxdb_url" {
  description = "HTTPS URL of the InfluxDB API, https://ENDPOINT:8086."
  type        = string

  validation {
    condition     = can(regex("^https://[a-z0-9.-]+:[0-9]+$", var.influxdb_url))
    error_message = "influxdb_url must be https://HOST:PORT."
  }
}

variable "organization" {
  description = "InfluxDB organization of the bucket."
  type        = string
  default     = "aqi"

  validation {
    condition     = length(var.organization) > 0
    error_message = "organization must not be empty."
  }
}

variable "bucket" {
  description = "The one bucket the tokens may write (ingest) or read (Grafana)."
  type        = string
  default     = "aq"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.bucket))
    error_message = "bucket must be 1-64 letters, digits, underscores or hyphens."
  }
}

variable "retention_days" {
  description = "Retention of the bucket in days, applied by the function (0 keeps everything)."
  type        = number

  validation {
    condition     = var.retention_days >= 0 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days, 0 for no limit."
  }
}

variable "rotation_days" {
  description = "Days between two rotations of each token."
  type        = number
  default     = 30

  validation {
    condition     = var.rotation_days >= 1 && var.rotation_days <= 90 && floor(var.rotation_days) == var.rotation_days
    error_message = "rotation_days must be a whole number from 1 to 90."
  }
}

variable "timeout_seconds" {
  description = "Timeout of one invocation in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be from 10 to 900."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the token secrets and the function's environment."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "log_group_name" {
  description = "Log group of the function (module log-groups)."
  type        = string

  validation {
    condition     = length(var.log_group_name) > 0
    error_message = "log_group_name must not be empty."
  }
}

variable "log_group_arn" {
  description = "ARN of that log group, without a :* suffix."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:[^:*]+$", var.log_group_arn))
    error_message = "log_group_arn must be a log group ARN without a :* suffix."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted token secret can still be restored (0 deletes at once; otherwise 7 to 30)."
  type        = number
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix of the stack, used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "engine" {
  description = "Store engine: decides how the job reaches the store and which permissions its role gets."
  type        = string

  validation {
    condition     = contains(["influxdb", "liveanalytics"], var.engine)
    error_message = "engine must be \"influxdb\" or \"liveanalytics\"."
  }
}

variable "mirror_bucket" {
  description = "S3 bucket that holds the mirror of archive.sensor.community the job reads."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.mirror_bucket))
    error_message = "mirror_bucket must be an S3 bucket name."
  }
}

variable "mirror_prefix" {
  description = "Key prefix of the mirror in its bucket (\"\" for the whole bucket); the archive's layout is below it."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.mirror_prefix, "/") && !strcontains(var.mirror_prefix, "*")
    error_message = "mirror_prefix must be a key prefix such as sensor-community, without a leading / or wildcards."
  }
}

variable "vpc_id" {
  description = "VPC of the job's security group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID."
  }
}

variable "subnet_ids" {
  description = "Private subnets the job's workers run in (they reach S3 and the AWS APIs through the NAT gateway)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : startswith(s, "subnet-")])
    error_message = "subnet_ids must be a non-empty list of subnet IDs."
  }
}

variable "store_security_group_id" {
  description = "Security group of the Timestream for InfluxDB instance (engine \"influxdb\"): the job gets a rule to its port."
  type        = string
  default     = null

  validation {
    condition     = var.store_security_group_id == null || can(regex("^sg-", var.store_security_group_id))
    error_message = "store_security_group_id must be null or a security group ID."
  }
}

variable "store_port" {
  description = "Port of the InfluxDB API."
  type        = number
  default     = 8086

  validation {
    condition     = var.store_port > 0 && var.store_port < 65536
    error_message = "store_port must be a TCP port."
  }
}

variable "influxdb_secret_arn" {
  description = "The one secret with the job's InfluxDB credentials (engine \"influxdb\"), handed to the driver as AQI_INFLUXDB_SECRET_ARN."
  type        = string
  default     = null

  validation {
    condition     = var.influxdb_secret_arn == null || can(regex("^arn:[a-z-]+:secretsmanager:", var.influxdb_secret_arn))
    error_message = "influxdb_secret_arn must be null or a Secrets Manager secret ARN."
  }
}

variable "timestream_table_arn" {
  description = "The one table the job may write to (engine \"liveanalytics\")."
  type        = string
  default     = null

  validation {
    condition     = var.timestream_table_arn == null || can(regex("^arn:[a-z-]+:timestream:", var.timestream_table_arn))
    error_message = "timestream_table_arn must be null or a Timestream table ARN."
  }
}

variable "kms_key_arn" {
  description = "The stack's KMS key: the job's bucket and logs are encrypted with it; the job may use it through S3 and Secrets Manager only."
  type        = string

  validation {
    condition     = startswith(var.kms_key_arn, "arn:")
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "release_label" {
  description = "EMR Serverless release: Spark 4 and Python 3.11 (emr-spark-8.0.0 ships Spark 4.0.2)."
  type        = string
  default     = "emr-spark-8.0.0"

  validation {
    condition     = can(regex("^emr-spark-8\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "release_label must be an emr-spark-8.x release (Spark 4)."
  }
}

variable "max_vcpu" {
  description = "Most vCPUs the application may use at once (all job runs together)."
  type        = number
  default     = 32

  validation {
    condition     = var.max_vcpu >= 4 && var.max_vcpu <= 400
    error_message = "max_vcpu must be from 4 to 400."
  }
}

variable "max_memory_gb" {
  description = "Most memory in GB the application may use at once."
  type        = number
  default     = 128

  validation {
    condition     = var.max_memory_gb >= 8 && var.max_memory_gb <= 3000
    error_message = "max_memory_gb must be from 8 to 3000."
  }
}

variable "idle_timeout_minutes" {
  description = "Minutes without a job run after which the application stops (and costs nothing)."
  type        = number
  default     = 15

  validation {
    condition     = var.idle_timeout_minutes >= 1 && var.idle_timeout_minutes <= 10080
    error_message = "idle_timeout_minutes must be from 1 to 10080."
  }
}

variable "environment_key" {
  description = "Key in the job's bucket of the packed Python environment (make backfill-env uploads it there)."
  type        = string
  default     = "job/pyenv.tar.gz"

  validation {
    condition     = startswith(var.environment_key, "job/") && endswith(var.environment_key, ".tar.gz")
    error_message = "environment_key must be a job/....tar.gz key."
  }
}

variable "log_retention_days" {
  description = "Days the Spark logs of a job run are kept in the job's bucket."
  type        = number
  default     = 30

  validation {
    condition     = var.log_retention_days >= 1
    error_message = "log_retention_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

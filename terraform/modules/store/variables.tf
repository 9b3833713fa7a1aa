variable "name" {
  description = "Name prefix of the stack, used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "engine" {
  description = "\"influxdb\" creates a Timestream for InfluxDB instance in the VPC; \"liveanalytics\" creates a Timestream for LiveAnalytics database and table."
  type        = string

  validation {
    condition     = contains(["influxdb", "liveanalytics"], var.engine)
    error_message = "engine must be \"influxdb\" or \"liveanalytics\"."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the InfluxDB instance (engine \"influxdb\")."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : startswith(s, "subnet-")])
    error_message = "subnet_ids must list at least one subnet ID."
  }
}

variable "security_group_id" {
  description = "Security group of the InfluxDB instance; it admits only the ingest and Grafana security groups."
  type        = string

  validation {
    condition     = startswith(var.security_group_id, "sg-")
    error_message = "security_group_id must be a security group ID."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the LiveAnalytics database."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "influxdb_instance_type" {
  description = "Timestream for InfluxDB instance class."
  type        = string
  default     = "db.influx.medium"

  validation {
    condition     = can(regex("^db\\.influx\\.(medium|large|[0-9]*xlarge)$", var.influxdb_instance_type))
    error_message = "influxdb_instance_type must be a db.influx.* class such as db.influx.medium."
  }
}

variable "influxdb_allocated_storage" {
  description = "Storage of the InfluxDB instance in GiB (20 to 16384)."
  type        = number
  default     = 20

  validation {
    condition     = var.influxdb_allocated_storage >= 20 && var.influxdb_allocated_storage <= 16384
    error_message = "influxdb_allocated_storage must be between 20 and 16384 GiB."
  }
}

variable "influxdb_deployment_type" {
  description = "SINGLE_AZ, or WITH_MULTIAZ_STANDBY for a standby in a second zone (twice the price)."
  type        = string
  default     = "SINGLE_AZ"

  validation {
    condition     = contains(["SINGLE_AZ", "WITH_MULTIAZ_STANDBY"], var.influxdb_deployment_type)
    error_message = "influxdb_deployment_type must be SINGLE_AZ or WITH_MULTIAZ_STANDBY."
  }
}

variable "memory_retention_hours" {
  description = "LiveAnalytics memory store retention in hours: recent data, fast queries (1 to 8766)."
  type        = number
  default     = 24

  validation {
    condition     = var.memory_retention_hours >= 1 && var.memory_retention_hours <= 8766
    error_message = "memory_retention_hours must be between 1 and 8766."
  }
}

variable "magnetic_retention_days" {
  description = "LiveAnalytics magnetic store retention in days: history (1 to 73000)."
  type        = number
  default     = 365

  validation {
    condition     = var.magnetic_retention_days >= 1 && var.magnetic_retention_days <= 73000
    error_message = "magnetic_retention_days must be between 1 and 73000."
  }
}

variable "max_query_tcu" {
  description = "LiveAnalytics: most Timestream compute units the account's queries may use at once (multiples of 4, 4 to 1000); the ceiling of query cost."
  type        = number
  default     = 4

  validation {
    condition     = var.max_query_tcu >= 4 && var.max_query_tcu <= 1000 && var.max_query_tcu % 4 == 0
    error_message = "max_query_tcu must be a multiple of 4 from 4 to 1000."
  }
}

variable "disk_alarm_percent" {
  description = "InfluxDB: alarm when the disk is this full (percent of the allocated storage)."
  type        = number
  default     = 75

  validation {
    condition     = var.disk_alarm_percent >= 10 && var.disk_alarm_percent <= 95
    error_message = "disk_alarm_percent must be from 10 to 95."
  }
}

variable "alarm_topic_arns" {
  description = "SNS topics the store alarms notify."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.alarm_topic_arns : can(regex("^arn:aws[a-z-]*:sns:", t))])
    error_message = "alarm_topic_arns must list SNS topic ARNs."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix of the stack, used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "ami_id" {
  description = "AMI of the ingest image (module image)."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI ID."
  }
}

variable "instance_type" {
  description = "Instance type of the ingest job: an arm64 (Graviton) type, as the image is arm64."
  type        = string
  default     = "t4g.small"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an arm64 Graviton type such as t4g.small or m7g.large."
  }
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume in GiB (the image, the state and the SQLite fallback)."
  type        = number
  default     = 16

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "root_volume_size must be between 8 and 1024 GiB."
  }
}

variable "subnet_id" {
  description = "Private subnet of the instance."
  type        = string

  validation {
    condition     = startswith(var.subnet_id, "subnet-")
    error_message = "subnet_id must be a subnet ID."
  }
}

variable "security_group_id" {
  description = "Security group of the instance (no inbound rules)."
  type        = string

  validation {
    condition     = startswith(var.security_group_id, "sg-")
    error_message = "security_group_id must be a security group ID."
  }
}

variable "engine" {
  description = "Store engine: decides which permissions the instance profile gets."
  type        = string

  validation {
    condition     = contains(["influxdb", "liveanalytics"], var.engine)
    error_message = "engine must be \"influxdb\" or \"liveanalytics\"."
  }
}

variable "influxdb_secret_arn" {
  description = "The one secret the instance may read: the ingest job's write-only InfluxDB token (engine \"influxdb\")."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "influxdb" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.influxdb_secret_arn))
    error_message = "influxdb_secret_arn must be a Secrets Manager secret ARN when engine is \"influxdb\"."
  }
}

variable "timestream_table_arn" {
  description = "The one table the instance may write to (engine \"liveanalytics\")."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "liveanalytics" || can(regex("^arn:aws[a-z-]*:timestream:[a-z0-9-]+:[0-9]{12}:database/[^/]+/table/[^/]+$", var.timestream_table_arn))
    error_message = "timestream_table_arn must be a Timestream table ARN when engine is \"liveanalytics\"."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the token secret and the LiveAnalytics database; the instance may use it through Secrets Manager or Timestream only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "user_data" {
  description = "cloud-init user data (module boot-config) that writes /etc/aqi-ingest/deploy.env."
  type        = string

  validation {
    condition     = startswith(var.user_data, "#cloud-config\n") && length(var.user_data) <= 16384
    error_message = "user_data must be a cloud-config document of at most 16 KiB."
  }
}

variable "agent_policy_json" {
  description = "IAM policy of the SSM and CloudWatch agents (module instance-agents), attached to the instance role."
  type        = string

  validation {
    condition     = can(jsondecode(var.agent_policy_json).Statement)
    error_message = "agent_policy_json must be an IAM policy document."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

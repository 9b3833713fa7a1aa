variable "role" {
  description = "Which image: \"ingest\" or \"grafana\" (the Role tag and name prefix `make ami` gives it)."
  type        = string

  validation {
    condition     = contains(["ingest", "grafana"], var.role)
    error_message = "role must be \"ingest\" or \"grafana\"."
  }
}

variable "ami_id" {
  description = "Use this AMI instead of looking one up (null: the most recent image `make ami` registered in this account)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or an AMI ID such as ami-0123456789abcdef0."
  }
}

variable "image_version" {
  description = "Pick the most recent image of this Version tag (null: any version)."
  type        = string
  default     = null

  validation {
    condition     = var.image_version == null || can(regex("^[0-9A-Za-z][0-9A-Za-z.+_-]*$", var.image_version))
    error_message = "image_version must be null or a version string such as 0.1.0."
  }
}

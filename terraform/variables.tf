variable "region" {
  description = "AWS region of the whole stack: the data lives here. It must offer the chosen Timestream engine."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1 or eu-west-1."
  }
}

variable "name" {
  description = "Name prefix of every resource of the stack."
  type        = string
  default     = "aqi"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "timestream_engine" {
  description = "Store: \"influxdb\" (Timestream for InfluxDB, the default; for accounts opened after June 2025) or \"liveanalytics\" (Timestream for LiveAnalytics)."
  type        = string
  default     = "influxdb"

  validation {
    condition     = contains(["influxdb", "liveanalytics"], var.timestream_engine)
    error_message = "timestream_engine must be \"influxdb\" or \"liveanalytics\"."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project=aqi-platform is always set)."
  type        = map(string)
  default     = {}
}

# Network ---------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR block."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets and Grafana instances over (2 to 4)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be from 2 to 4."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the private subnets (cheaper) instead of one per zone."
  type        = bool
  default     = true
}

variable "dashboard_ingress_cidrs" {
  description = "IPv4 networks allowed to open the dashboard (default: everyone)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.dashboard_ingress_cidrs) > 0 && alltrue([for c in var.dashboard_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "dashboard_ingress_cidrs must be a non-empty list of IPv4 CIDR blocks."
  }
}

# Images ----------------------------------------------------------------------

variable "ingest_ami_id" {
  description = "AMI of the ingest instance (null: the most recent aqi-ingest image of this account)."
  type        = string
  default     = null

  validation {
    condition     = var.ingest_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ingest_ami_id))
    error_message = "ingest_ami_id must be null or an AMI ID."
  }
}

variable "grafana_ami_id" {
  description = "AMI of the Grafana instances (null: the most recent aqi-grafana image of this account)."
  type        = string
  default     = null

  validation {
    condition     = var.grafana_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.grafana_ami_id))
    error_message = "grafana_ami_id must be null or an AMI ID."
  }
}

variable "image_version" {
  description = "Look up images of this Version tag only (null: the most recent of any version)."
  type        = string
  default     = null

  validation {
    condition     = var.image_version == null || can(regex("^[0-9A-Za-z][0-9A-Za-z.+_-]*$", var.image_version))
    error_message = "image_version must be null or a version string such as 0.1.0."
  }
}

# Store -----------------------------------------------------------------------

variable "influxdb_instance_type" {
  description = "Timestream for InfluxDB instance class (engine \"influxdb\")."
  type        = string
  default     = "db.influx.medium"

  validation {
    condition     = startswith(var.influxdb_instance_type, "db.influx.")
    error_message = "influxdb_instance_type must be a db.influx.* class."
  }
}

variable "influxdb_allocated_storage" {
  description = "Storage of the InfluxDB instance in GiB (engine \"influxdb\")."
  type        = number
  default     = 20

  validation {
    condition     = var.influxdb_allocated_storage >= 20
    error_message = "influxdb_allocated_storage must be at least 20 GiB."
  }
}

variable "influxdb_deployment_type" {
  description = "SINGLE_AZ or WITH_MULTIAZ_STANDBY (engine \"influxdb\")."
  type        = string
  default     = "SINGLE_AZ"

  validation {
    condition     = contains(["SINGLE_AZ", "WITH_MULTIAZ_STANDBY"], var.influxdb_deployment_type)
    error_message = "influxdb_deployment_type must be SINGLE_AZ or WITH_MULTIAZ_STANDBY."
  }
}

variable "memory_retention_hours" {
  description = "LiveAnalytics memory store retention in hours (engine \"liveanalytics\")."
  type        = number
  default     = 24

  validation {
    condition     = var.memory_retention_hours >= 1 && var.memory_retention_hours <= 8766
    error_message = "memory_retention_hours must be between 1 and 8766."
  }
}

variable "magnetic_retention_days" {
  description = "LiveAnalytics magnetic store retention in days (engine \"liveanalytics\")."
  type        = number
  default     = 365

  validation {
    condition     = var.magnetic_retention_days >= 1 && var.magnetic_retention_days <= 73000
    error_message = "magnetic_retention_days must be between 1 and 73000."
  }
}

variable "influxdb_retention_days" {
  description = "Days the InfluxDB bucket keeps readings (engine \"influxdb\"; 0: no limit). The default fits today's network in the default 20 GiB with room to grow (docs/deployment.md)."
  type        = number
  default     = 7

  validation {
    condition     = var.influxdb_retention_days >= 0 && floor(var.influxdb_retention_days) == var.influxdb_retention_days
    error_message = "influxdb_retention_days must be a whole number of days, 0 for no limit."
  }
}

variable "influxdb_token_rotation_days" {
  description = "Days between two rotations of each scoped InfluxDB token (engine \"influxdb\")."
  type        = number
  default     = 30

  validation {
    condition     = var.influxdb_token_rotation_days >= 1 && var.influxdb_token_rotation_days <= 90 && floor(var.influxdb_token_rotation_days) == var.influxdb_token_rotation_days
    error_message = "influxdb_token_rotation_days must be a whole number from 1 to 90."
  }
}

variable "store_tokens_package" {
  description = "Zip of the token provisioner, relative to terraform/ (make plan and make apply build it with make store-tokens-zip)."
  type        = string
  default     = "../build/lambda/store-tokens.zip"

  validation {
    condition     = endswith(var.store_tokens_package, ".zip")
    error_message = "store_tokens_package must be a .zip file."
  }
}

# Ingest ----------------------------------------------------------------------

variable "ingest_instance_type" {
  description = "Instance type of the ingest job (arm64)."
  type        = string
  default     = "t4g.small"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.ingest_instance_type))
    error_message = "ingest_instance_type must be an arm64 Graviton type such as t4g.small."
  }
}

variable "ingest_interval" {
  description = "Seconds between two ingest cycles."
  type        = number
  default     = 60

  validation {
    condition     = var.ingest_interval >= 30 && var.ingest_interval <= 3600
    error_message = "ingest_interval must be from 30 to 3600 seconds."
  }
}

# Dashboard -------------------------------------------------------------------

variable "grafana_instance_type" {
  description = "Instance type of the Grafana instances (arm64)."
  type        = string
  default     = "t4g.micro"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.grafana_instance_type))
    error_message = "grafana_instance_type must be an arm64 Graviton type such as t4g.micro."
  }
}

variable "grafana_min_size" {
  description = "Fewest Grafana instances."
  type        = number
  default     = 1

  validation {
    condition     = var.grafana_min_size >= 1
    error_message = "grafana_min_size must be at least 1."
  }
}

variable "grafana_max_size" {
  description = "Most Grafana instances."
  type        = number
  default     = 5

  validation {
    condition     = var.grafana_max_size >= var.grafana_min_size && var.grafana_max_size <= 20
    error_message = "grafana_max_size must be from grafana_min_size to 20."
  }
}

variable "grafana_anonymous_access" {
  description = "Let anonymous visitors view the dashboards (the public dashboard); false: only signed-in users see them."
  type        = bool
  default     = true
}

variable "grafana_admin_password_version" {
  description = "Increase to generate a new Grafana admin password on the next apply."
  type        = number
  default     = 1

  validation {
    condition     = var.grafana_admin_password_version >= 1
    error_message = "grafana_admin_password_version must be at least 1."
  }
}

variable "domain_name" {
  description = "Domain of the dashboard, e.g. air.example.org. Set with route53_zone_id: Terraform creates an ACM certificate validated in that zone, an alias record, HTTPS on 443 and a redirect on 80. Null: the load balancer's own name."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as air.example.org."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone (in this account) of domain_name."
  type        = string
  default     = null

  validation {
    condition     = (var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))) && (var.domain_name == null || var.route53_zone_id != null)
    error_message = "route53_zone_id must be a hosted zone ID (Z...), and is required when domain_name is set."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of your own for the dashboard's domain (null: Terraform creates one when domain_name is set). Set: HTTPS on 443 and a redirect on 80."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

# Traffic ceiling ---------------------------------------------------------------

variable "waf_enabled" {
  description = "WAF web ACL on the load balancer: per-IP rate limits and AWS's known-bad-inputs rules."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one IP address may send in 5 minutes before the WAF blocks it."
  type        = number
  default     = 1000

  validation {
    condition     = var.waf_rate_limit >= 10
    error_message = "waf_rate_limit must be at least 10 (the WAF's minimum)."
  }
}

variable "waf_query_rate_limit" {
  description = "Data-source queries (POST /api/ds/query) one IP address may send in 5 minutes."
  type        = number
  default     = 300

  validation {
    condition     = var.waf_query_rate_limit >= 10
    error_message = "waf_query_rate_limit must be at least 10 (the WAF's minimum)."
  }
}

variable "waf_allowed_cidrs" {
  description = "IPv4 networks the WAF never rate-limits: the load generator of the staged load test (docs/loadtest.md)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.waf_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "waf_allowed_cidrs must list IPv4 CIDR blocks such as 203.0.113.7/32."
  }
}

variable "liveanalytics_max_query_tcu" {
  description = "LiveAnalytics: most Timestream compute units the account's queries may use at once (multiples of 4; needs the AWS CLI at apply)."
  type        = number
  default     = 4

  validation {
    condition     = var.liveanalytics_max_query_tcu >= 4 && var.liveanalytics_max_query_tcu <= 1000 && var.liveanalytics_max_query_tcu % 4 == 0
    error_message = "liveanalytics_max_query_tcu must be a multiple of 4 from 4 to 1000."
  }
}

# Operations ------------------------------------------------------------------

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the instances', the token function's and the WAF's logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "alert_email" {
  description = "E-mail address subscribed to the alert topic (Grafana alerts, the InfluxDB disk alarm); null: none."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be null or an e-mail address."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion. Set false and apply before `make destroy`."
  type        = bool
  default     = true
}

# Archive backfill (EMR Serverless) ----------------------------------------------

variable "backfill_enabled" {
  description = "Create the EMR Serverless application, job role and bucket of the archive backfill (make backfill-aws)."
  type        = bool
  default     = false
}

variable "backfill_mirror_bucket" {
  description = "S3 bucket with a mirror of archive.sensor.community (needed when backfill_enabled)."
  type        = string
  default     = null

  validation {
    condition     = !var.backfill_enabled || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backfill_mirror_bucket))
    error_message = "backfill_mirror_bucket must be an S3 bucket name when backfill_enabled is true."
  }
}

variable "backfill_mirror_prefix" {
  description = "Key prefix of the archive mirror in backfill_mirror_bucket (\"\" for the whole bucket)."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.backfill_mirror_prefix, "/")
    error_message = "backfill_mirror_prefix must not start with /."
  }
}

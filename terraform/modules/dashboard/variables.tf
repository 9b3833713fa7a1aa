variable "name" {
  description = "Name prefix of the stack, used in resource names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name must be 2-21 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "ami_id" {
  description = "AMI of the Grafana image (module image)."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI ID."
  }
}

variable "instance_type" {
  description = "Instance type of the Grafana instances: an arm64 (Graviton) type, as the image is arm64."
  type        = string
  default     = "t4g.micro"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an arm64 Graviton type such as t4g.micro or t4g.small."
  }
}

variable "root_device_name" {
  description = "Root device name of the Grafana image (Debian 12 AMIs: /dev/xvda)."
  type        = string
  default     = "/dev/xvda"

  validation {
    condition     = can(regex("^/dev/[a-z0-9]+$", var.root_device_name))
    error_message = "root_device_name must be a device path such as /dev/xvda."
  }
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume in GiB."
  type        = number
  default     = 8

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "root_volume_size must be between 8 and 1024 GiB."
  }
}

variable "vpc_id" {
  description = "VPC of the target group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets of the load balancer (two or more zones)."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "The load balancer needs public subnets in at least two availability zones."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the Auto Scaling group spreads the instances over."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "The Auto Scaling group needs private subnets in at least two availability zones."
  }
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer."
  type        = string

  validation {
    condition     = startswith(var.alb_security_group_id, "sg-")
    error_message = "alb_security_group_id must be a security group ID."
  }
}

variable "instance_security_group_id" {
  description = "Security group of the Grafana instances (admits the load balancer only)."
  type        = string

  validation {
    condition     = startswith(var.instance_security_group_id, "sg-")
    error_message = "instance_security_group_id must be a security group ID."
  }
}

variable "grafana_port" {
  description = "TCP port Grafana listens on."
  type        = number
  default     = 3000

  validation {
    condition     = var.grafana_port >= 1024 && var.grafana_port <= 65535
    error_message = "grafana_port must be an unprivileged TCP port (1024-65535)."
  }
}

variable "min_size" {
  description = "Fewest Grafana instances."
  type        = number
  default     = 1

  validation {
    condition     = var.min_size >= 1 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number of at least 1."
  }
}

variable "max_size" {
  description = "Most Grafana instances."
  type        = number
  default     = 5

  validation {
    condition     = var.max_size >= var.min_size && var.max_size <= 20 && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number from min_size to 20."
  }
}

variable "scale_out_cpu_percent" {
  description = "Add an instance when the group's average CPU stays above this for scale_out_minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.scale_out_cpu_percent > 0 && var.scale_out_cpu_percent < 100
    error_message = "scale_out_cpu_percent must be between 0 and 100."
  }
}

variable "scale_out_minutes" {
  description = "Consecutive 1-minute periods above scale_out_cpu_percent before scaling out."
  type        = number
  default     = 3

  validation {
    condition     = var.scale_out_minutes >= 1 && var.scale_out_minutes <= 60 && floor(var.scale_out_minutes) == var.scale_out_minutes
    error_message = "scale_out_minutes must be a whole number from 1 to 60."
  }
}

variable "scale_in_cpu_percent" {
  description = "Remove an instance when the group's average CPU stays below this for scale_in_minutes."
  type        = number
  default     = 42

  validation {
    condition     = var.scale_in_cpu_percent > 0 && var.scale_in_cpu_percent < var.scale_out_cpu_percent
    error_message = "scale_in_cpu_percent must be above 0 and below scale_out_cpu_percent, or the group would flap."
  }
}

variable "scale_in_minutes" {
  description = "Consecutive 1-minute periods below scale_in_cpu_percent before scaling in."
  type        = number
  default     = 15

  validation {
    condition     = var.scale_in_minutes >= 1 && var.scale_in_minutes <= 60 && floor(var.scale_in_minutes) == var.scale_in_minutes
    error_message = "scale_in_minutes must be a whole number from 1 to 60."
  }
}

variable "cooldown_seconds" {
  description = "Seconds after a scaling activity before the next one may start."
  type        = number
  default     = 150

  validation {
    condition     = var.cooldown_seconds >= 0 && var.cooldown_seconds <= 3600
    error_message = "cooldown_seconds must be between 0 and 3600."
  }
}

variable "health_check_grace_seconds" {
  description = "Seconds a new instance gets to boot before failed load balancer health checks replace it."
  type        = number
  default     = 180

  validation {
    condition     = var.health_check_grace_seconds >= 0 && var.health_check_grace_seconds <= 7200
    error_message = "health_check_grace_seconds must be between 0 and 7200."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS that you manage (null: one is created for domain_name when that is set). With a certificate, port 80 redirects to 443."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "domain_name" {
  description = "Domain of the dashboard, e.g. air.example.org (null: the load balancer's own name, over HTTP unless certificate_arn is set). Needs route53_zone_id."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as air.example.org."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name: holds the certificate's validation records and the alias record of the dashboard."
  type        = string
  default     = null

  validation {
    condition     = (var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))) && (var.domain_name == null || var.route53_zone_id != null)
    error_message = "route53_zone_id must be a hosted zone ID (Z...), and is required when domain_name is set."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.3 and 1.2 only by default)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "ssl_policy must be one of the ELBSecurityPolicy-TLS13-* policies."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (set false, apply, then destroy)."
  type        = bool
  default     = true
}

variable "access_log_retention_days" {
  description = "Days the load balancer access logs are kept in S3."
  type        = number
  default     = 90

  validation {
    condition     = var.access_log_retention_days >= 1 && var.access_log_retention_days <= 3650
    error_message = "access_log_retention_days must be between 1 and 3650."
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

variable "admin_secret_arn" {
  description = "Secret with the Grafana admin password (module generated-secret)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.admin_secret_arn))
    error_message = "admin_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "influxdb_secret_arn" {
  description = "Secret with Grafana's read-only InfluxDB token of the bucket (engine \"influxdb\"; module store-tokens)."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "influxdb" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.influxdb_secret_arn))
    error_message = "influxdb_secret_arn must be a Secrets Manager secret ARN when engine is \"influxdb\"."
  }
}

variable "timestream_table_arn" {
  description = "LiveAnalytics table Grafana may query (engine \"liveanalytics\")."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "liveanalytics" || can(regex("^arn:aws[a-z-]*:timestream:[a-z0-9-]+:[0-9]{12}:database/[^/]+/table/[^/]+$", var.timestream_table_arn))
    error_message = "timestream_table_arn must be a Timestream table ARN when engine is \"liveanalytics\"."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the secrets, the alert topic and the LiveAnalytics database; the instances may use it through those services only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be the ARN of a KMS key."
  }
}

variable "secret_key_arn" {
  description = "Secret with Grafana's secret_key (module generated-secret)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.secret_key_arn))
    error_message = "secret_key_arn must be a Secrets Manager secret ARN."
  }
}

variable "alert_topic_arn" {
  description = "SNS topic Grafana's alert contact point publishes to (module alerts)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN."
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

variable "waf_enabled" {
  description = "Put a WAF web ACL in front of the load balancer: per-IP rate limits and AWS's known-bad-inputs rules."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests one IP address may send in 5 minutes before the WAF blocks it (all paths)."
  type        = number
  default     = 1000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be from 10 to 2,000,000,000 (the WAF's range)."
  }
}

variable "waf_query_rate_limit" {
  description = "Data-source queries (POST /api/ds/query) one IP address may send in 5 minutes: the ceiling each visitor puts on the store."
  type        = number
  default     = 300

  validation {
    condition     = var.waf_query_rate_limit >= 10 && var.waf_query_rate_limit <= 2000000000
    error_message = "waf_query_rate_limit must be from 10 to 2,000,000,000 (the WAF's range)."
  }
}

variable "waf_allowed_cidrs" {
  description = "IPv4 networks the WAF never rate-limits, e.g. the load generator of the staged load test."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.waf_allowed_cidrs : can(cidrhost(c, 0)) && strcontains(c, "/")])
    error_message = "waf_allowed_cidrs must list IPv4 CIDR blocks such as 203.0.113.7/32."
  }
}

variable "waf_log_group_arn" {
  description = "Log group of the WAF's blocked requests, named aws-waf-logs-<...> (module log-groups; needed when waf_enabled)."
  type        = string
  default     = null

  validation {
    condition     = !var.waf_enabled || can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:aws-waf-logs-[^:*]+$", var.waf_log_group_arn))
    error_message = "waf_log_group_arn must be the ARN of a log group named aws-waf-logs-... when waf_enabled is true."
  }
}

variable "user_data" {
  description = "cloud-init user data (module boot-config) that writes /etc/aqi-grafana/deploy.env."
  type        = string

  validation {
    condition     = startswith(var.user_data, "#cloud-config\n") && length(var.user_data) <= 16384
    error_message = "user_data must be a cloud-config document of at most 16 KiB."
  }
}

variable "tags" {
  description = "Tags added to every resource of the module."
  type        = map(string)
  default     = {}
}

variable "engine" {
  description = "Store behind the stack: \"influxdb\" (Timestream for InfluxDB) or \"liveanalytics\" (Timestream for LiveAnalytics)."
  type        = string

  validation {
    condition     = contains(["influxdb", "liveanalytics"], var.engine)
    error_message = "engine must be \"influxdb\" or \"liveanalytics\"."
  }
}

variable "region" {
  description = "AWS region of the store and the secrets."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "influxdb_endpoint" {
  description = "Host name of the Timestream for InfluxDB instance (engine \"influxdb\")."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "influxdb" || can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.influxdb_endpoint))
    error_message = "influxdb_endpoint must be a host name when engine is \"influxdb\"."
  }
}

variable "influxdb_port" {
  description = "HTTPS port of the InfluxDB API."
  type        = number
  default     = 8086

  validation {
    condition     = var.influxdb_port >= 1 && var.influxdb_port <= 65535
    error_message = "influxdb_port must be a TCP port (1-65535)."
  }
}

variable "influxdb_bucket" {
  description = "InfluxDB bucket (the v1 database name the ingest job and Grafana use)."
  type        = string
  default     = "aq"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.influxdb_bucket))
    error_message = "influxdb_bucket must be 1-64 letters, digits, underscores or hyphens."
  }
}

variable "ingest_token_secret_arn" {
  description = "Secrets Manager secret with the ingest job's write-only InfluxDB token of the bucket, JSON with token (engine \"influxdb\"; module store-tokens)."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "influxdb" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$", var.ingest_token_secret_arn))
    error_message = "ingest_token_secret_arn must be a Secrets Manager secret ARN when engine is \"influxdb\"."
  }
}

variable "grafana_token_secret_arn" {
  description = "Secrets Manager secret with Grafana's read-only InfluxDB token of the bucket, JSON with token (engine \"influxdb\"; module store-tokens)."
  type        = string
  default     = null

  validation {
    condition     = var.engine != "influxdb" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$", var.grafana_token_secret_arn))
    error_message = "grafana_token_secret_arn must be a Secrets Manager secret ARN when engine is \"influxdb\"."
  }
}

variable "timestream_database" {
  description = "Timestream for LiveAnalytics database name (engine \"liveanalytics\")."
  type        = string
  default     = "aqi"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,256}$", var.timestream_database))
    error_message = "timestream_database must be 3-256 letters, digits, dots, underscores or hyphens."
  }
}

variable "timestream_table" {
  description = "Timestream for LiveAnalytics table name (engine \"liveanalytics\")."
  type        = string
  default     = "air_quality"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,256}$", var.timestream_table))
    error_message = "timestream_table must be 3-256 letters, digits, dots, underscores or hyphens."
  }
}

variable "grafana_admin_secret_arn" {
  description = "Secrets Manager secret that holds the Grafana admin password (plain string)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$", var.grafana_admin_secret_arn))
    error_message = "grafana_admin_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "grafana_secret_key_arn" {
  description = "Secrets Manager secret that holds Grafana's secret_key (plain string)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$", var.grafana_secret_key_arn))
    error_message = "grafana_secret_key_arn must be a Secrets Manager secret ARN."
  }
}

variable "grafana_root_url" {
  description = "Public URL of the dashboard, ending in / (Grafana's root_url), e.g. https://air.example.org/."
  type        = string

  validation {
    condition     = can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?/$", var.grafana_root_url))
    error_message = "grafana_root_url must be an http(s) URL of a host ending in /, such as https://air.example.org/."
  }
}

variable "grafana_cookie_secure" {
  description = "Mark Grafana's cookies Secure: true when the dashboard is served over HTTPS."
  type        = bool
}

variable "alert_topic_arn" {
  description = "SNS topic of Grafana's alert contact point."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN."
  }
}

variable "log_group_prefix" {
  description = "Prefix of the CloudWatch log groups the agents ship to (<prefix>/ingest, /grafana, /system)."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.-]+$", var.log_group_prefix))
    error_message = "log_group_prefix must be a log group name part such as /aqi."
  }
}

variable "grafana_anonymous" {
  description = "Let anonymous visitors view the dashboards (Viewer role)."
  type        = bool
  default     = true
}

variable "ingest_interval" {
  description = "Seconds between two ingest cycles."
  type        = number
  default     = 60

  validation {
    condition     = var.ingest_interval >= 30 && var.ingest_interval <= 3600 && floor(var.ingest_interval) == var.ingest_interval
    error_message = "ingest_interval must be a whole number of seconds from 30 to 3600 (the feeds refresh about every minute)."
  }
}

variable "ingest_feeds" {
  description = "Sensor.Community feeds the ingest job reads: 5m (5-minute means) and/or 24h (24-hour means, with the DAQI)."
  type        = list(string)
  default     = ["5m", "24h"]

  validation {
    condition     = length(var.ingest_feeds) > 0 && alltrue([for f in var.ingest_feeds : contains(["5m", "24h"], f)]) && length(distinct(var.ingest_feeds)) == length(var.ingest_feeds)
    error_message = "ingest_feeds must list 5m and/or 24h, each once."
  }
}

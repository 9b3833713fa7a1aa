# The time-series store, one of two engines. The names are the ones every part
# of the platform uses (README.md, configuration reference): InfluxDB organization "aqi" and
# bucket "aq"; LiveAnalytics database "aqi" and table "air_quality".

data "aws_region" "current" {}

locals {
  region        = data.aws_region.current.region
  influxdb      = var.engine == "influxdb"
  liveanalytics = var.engine == "liveanalytics"

  influxdb_port         = 8086
  influxdb_organization = "aqi"
  influxdb_bucket       = "aq"
  influxdb_username     = "aqiadmin"

  timestream_database = "aqi"
  timestream_table    = "air_quality"
}

# Timestream for InfluxDB -----------------------------------------------------

# The provider takes the initial admin password as a plain argument, so it is
# kept in the Terraform state (keep the state encrypted). The service copies
# the credentials into a Secrets Manager secret of its own
# (influx_auth_parameters_secret_arn), which is what the instances read.
resource "random_password" "influxdb" {
  count = local.influxdb ? 1 : 0

  length      = 32
  special     = false
  min_lower   = 2
  min_upper   = 2
  min_numeric = 2
}

resource "aws_timestreaminfluxdb_db_instance" "this" {
  count = local.influxdb ? 1 : 0

  name                   = "${var.name}-influxdb"
  db_instance_type       = var.influxdb_instance_type
  allocated_storage      = var.influxdb_allocated_storage
  db_storage_type        = "InfluxIOIncludedT1"
  deployment_type        = var.influxdb_deployment_type
  network_type           = "IPV4"
  port                   = local.influxdb_port
  publicly_accessible    = false
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [var.security_group_id]
  organization           = local.influxdb_organization
  bucket                 = local.influxdb_bucket
  username               = local.influxdb_username
  password               = random_password.influxdb[0].result
  tags                   = var.tags
}

# Timestream for LiveAnalytics ------------------------------------------------

resource "aws_timestreamwrite_database" "this" {
  count = local.liveanalytics ? 1 : 0

  database_name = local.timestream_database
  kms_key_id    = var.kms_key_arn
  tags          = var.tags
}

resource "aws_timestreamwrite_table" "this" {
  count = local.liveanalytics ? 1 : 0

  database_name = aws_timestreamwrite_database.this[0].database_name
  table_name    = local.timestream_table

  retention_properties {
    memory_store_retention_period_in_hours  = var.memory_retention_hours
    magnetic_store_retention_period_in_days = var.magnetic_retention_days
  }

  # Late 24-hour means older than the memory store window still land.
  magnetic_store_write_properties {
    enable_magnetic_store_writes = true
  }

  # Queries filter on a location: partitioning on it keeps them from scanning
  # every sensor's data. Optional, so that a reading without a location still
  # lands (in the default partition).
  schema {
    composite_partition_key {
      type                  = "DIMENSION"
      name                  = "location_id"
      enforcement_in_record = "OPTIONAL"
    }
  }

  tags = var.tags
}

# The ceiling of query compute for the account: Timestream for LiveAnalytics
# serves queries with at most max_query_tcu Timestream compute units, however
# many visitors send them. AWS provider 6.25 has no resource for the account
# settings, so Terraform runs the AWS CLI once per value (UpdateAccountSettings,
# which also moves the account to compute-unit query pricing, for good).
resource "terraform_data" "max_query_tcu" {
  count = local.liveanalytics ? 1 : 0

  input = var.max_query_tcu

  provisioner "local-exec" {
    command = "aws timestream-query update-account-settings --region ${local.region} --query-pricing-model COMPUTE_UNITS --max-query-tcu ${var.max_query_tcu}"
  }
}

# Timestream for InfluxDB publishes DiskUtilization (percent of the allocated
# storage); InfluxDB stops accepting writes when the disk is full.
resource "aws_cloudwatch_metric_alarm" "influxdb_disk" {
  count = local.influxdb ? 1 : 0

  alarm_name          = "${var.name}-influxdb-disk"
  alarm_description   = "InfluxDB disk above ${var.disk_alarm_percent}% of ${var.influxdb_allocated_storage} GiB: shorten influxdb_retention_days or grow influxdb_allocated_storage"
  namespace           = "AWS/TimestreamInfluxDB"
  metric_name         = "DiskUtilization"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = var.disk_alarm_percent
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = var.alarm_topic_arns
  ok_actions          = var.alarm_topic_arns
  tags                = var.tags

  dimensions = {
    DbInstanceName = aws_timestreaminfluxdb_db_instance.this[0].name
  }
}

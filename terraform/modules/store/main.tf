# The time-series store, one of two engines. The names are the ones every part
# of the platform uses (README.md, configuration reference): InfluxDB organization "aqi" and
# bucket "aq"; LiveAnalytics database "aqi" and table "air_quality".

locals {
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

  tags = var.tags
}

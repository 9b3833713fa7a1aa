output "engine" {
  description = "The engine this store runs."
  value       = var.engine
}

output "endpoint" {
  description = "Where the data lives: the InfluxDB host name, or the LiveAnalytics database/table."
  value       = local.influxdb ? aws_timestreaminfluxdb_db_instance.this[0].endpoint : "${aws_timestreamwrite_table.this[0].database_name}/${aws_timestreamwrite_table.this[0].table_name}"
}

output "influxdb_endpoint" {
  description = "Host name of the InfluxDB API (null with LiveAnalytics)."
  value       = local.influxdb ? aws_timestreaminfluxdb_db_instance.this[0].endpoint : null
}

output "influxdb_port" {
  description = "HTTPS port of the InfluxDB API."
  value       = local.influxdb_port
}

output "influxdb_bucket" {
  description = "InfluxDB bucket (v1 database) of the readings."
  value       = local.influxdb_bucket
}

output "influxdb_secret_arn" {
  description = "Secrets Manager secret that Timestream for InfluxDB created with the instance credentials (null with LiveAnalytics)."
  value       = local.influxdb ? aws_timestreaminfluxdb_db_instance.this[0].influx_auth_parameters_secret_arn : null
}

output "timestream_database" {
  description = "LiveAnalytics database name."
  value       = local.timestream_database
}

output "timestream_table" {
  description = "LiveAnalytics table name."
  value       = local.timestream_table
}

output "timestream_database_arn" {
  description = "ARN of the LiveAnalytics database (null with InfluxDB)."
  value       = local.liveanalytics ? aws_timestreamwrite_database.this[0].arn : null
}

output "timestream_table_arn" {
  description = "ARN of the LiveAnalytics table (null with InfluxDB)."
  value       = local.liveanalytics ? aws_timestreamwrite_table.this[0].arn : null
}

output "influxdb_url" {
  description = "HTTPS URL of the InfluxDB API, https://ENDPOINT:8086 (null with LiveAnalytics)."
  value       = local.influxdb ? "https://${aws_timestreaminfluxdb_db_instance.this[0].endpoint}:${local.influxdb_port}" : null
}

output "influxdb_organization" {
  description = "InfluxDB organization of the bucket."
  value       = local.influxdb_organization
}

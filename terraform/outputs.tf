output "dashboard_url" {
  description = "URL of the Grafana dashboard."
  value       = module.dashboard.url
}

output "ingest_instance_id" {
  description = "ID of the ingest instance."
  value       = module.ingest.instance_id
}

output "store_engine" {
  description = "The Timestream engine behind the stack."
  value       = module.store.engine
}

output "store_endpoint" {
  description = "InfluxDB host name, or the LiveAnalytics database/table."
  value       = module.store.endpoint
}

output "ingest_sink_url" {
  description = "AQI_SINK the ingest job writes to."
  value       = module.boot_config.sink_url
}

output "grafana_admin_secret_arn" {
  description = "Secrets Manager secret with the Grafana admin password (user admin)."
  value       = module.admin_secret.secret_arn
}

output "influxdb_secret_arn" {
  description = "Secrets Manager secret with the InfluxDB credentials (null with LiveAnalytics)."
  value       = module.store.influxdb_secret_arn
}

output "autoscaling_group_name" {
  description = "Name of the Grafana Auto Scaling group (for the load-test monitor)."
  value       = module.dashboard.autoscaling_group_name
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.dashboard.load_balancer_dns_name
}

output "backfill_application_id" {
  description = "EMR Serverless application of the archive backfill (null unless backfill_enabled)."
  value       = one(module.backfill[*].application_id)
}

output "backfill_application_arn" {
  description = "ARN of the backfill's EMR Serverless application: its region is where job runs start (null unless backfill_enabled)."
  value       = one(module.backfill[*].application_arn)
}

output "backfill_archive_source" {
  description = "The archive mirror as the backfill's --source, s3://BUCKET/PREFIX (null unless backfill_enabled)."
  value       = one(module.backfill[*].archive_source)
}

output "backfill_job_role_arn" {
  description = "Runtime role of the backfill job runs (null unless backfill_enabled)."
  value       = one(module.backfill[*].job_role_arn)
}

output "backfill_bucket" {
  description = "Bucket of the backfill's environment, state and logs (null unless backfill_enabled)."
  value       = one(module.backfill[*].bucket)
}

output "dashboard_url" {
  description = "URL of the Grafana dashboard: https://<domain_name> with a domain, else the load balancer's name."
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
  description = "Secrets Manager secret with the InfluxDB admin credentials, which only the token function reads (null with LiveAnalytics)."
  value       = module.store.influxdb_secret_arn
}

output "influxdb_token_secret_arns" {
  description = "Secrets with the scoped InfluxDB tokens: ingest (write the bucket) and grafana (read it); null with LiveAnalytics."
  value       = local.influxdb ? { ingest = module.store_tokens[0].ingest_token_secret_arn, grafana = module.store_tokens[0].grafana_token_secret_arn } : null
}

output "alert_topic_arn" {
  description = "SNS topic of the alerts (Grafana's contact point, the InfluxDB disk alarm)."
  value       = module.alerts.topic_arn
}

output "log_group_prefix" {
  description = "Prefix of the instances' CloudWatch log groups: <prefix>/ingest, /grafana, /system."
  value       = module.log_groups.prefix
}

output "web_acl_arn" {
  description = "WAF web ACL of the load balancer (null when waf_enabled is false)."
  value       = module.dashboard.web_acl_arn
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

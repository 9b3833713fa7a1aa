output "prefix" {
  description = "Prefix of the log group names (AQI_LOG_GROUP_PREFIX): /<name>."
  value       = local.prefix
}

output "arns" {
  description = "ARN of each log group, by group (ingest, grafana, system)."
  value       = { for group, log_group in aws_cloudwatch_log_group.this : group => log_group.arn }
}

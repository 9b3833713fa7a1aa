output "prefix" {
  description = "Prefix of the instances' log group names (AQI_LOG_GROUP_PREFIX): /<name>."
  value       = local.prefix
}

output "arns" {
  description = "ARN of each log group, by key (ingest, grafana, system and the service groups)."
  value       = { for key, log_group in aws_cloudwatch_log_group.this : key => log_group.arn }
}

output "names" {
  description = "Name of each log group, by key."
  value       = { for key, log_group in aws_cloudwatch_log_group.this : key => log_group.name }
}

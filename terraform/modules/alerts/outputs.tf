output "topic_arn" {
  description = "ARN of the alert topic (AQI_ALERT_TOPIC_ARN)."
  value       = aws_sns_topic.alerts.arn
}

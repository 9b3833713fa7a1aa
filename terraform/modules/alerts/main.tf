# The SNS topic of the alerts: Grafana's contact point (type sns, auth by the
# instance profile) and the store's CloudWatch alarms publish to it. Encrypted
# with the stack's KMS key; an e-mail address may subscribe.

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  display_name      = "${var.name} air-quality alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

# The subscriber confirms it from the first message AWS sends to the address.
resource "aws_sns_topic_subscription" "email" {
  count = var.email == null ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.email
}

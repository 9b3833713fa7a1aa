# The CloudWatch log groups the images' CloudWatch agent ships to:
# <prefix>/ingest (the job), <prefix>/grafana (Grafana's log) and
# <prefix>/system (cloud-init output, the first-boot setup), prefix /<name>.
# Terraform owns them: the agent only creates streams and puts events.

locals {
  prefix = "/${var.name}"
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(var.groups)

  name              = "${local.prefix}/${each.key}"
  retention_in_days = var.retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

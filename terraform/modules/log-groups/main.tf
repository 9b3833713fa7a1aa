# The stack's CloudWatch log groups, with one retention and the stack's key:
# the groups the images' CloudWatch agent ships to, <prefix>/ingest (the job),
# <prefix>/grafana (Grafana's log) and <prefix>/system (cloud-init output, the
# first-boot setup), prefix /<name>; and those of AWS services named by the
# caller (the token function's, the WAF's). Terraform owns them: the agent
# and the services only create streams and put events.

locals {
  prefix = "/${var.name}"
  names  = merge({ for group in var.groups : group => "${local.prefix}/${group}" }, var.service_groups)
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.names

  name              = each.value
  retention_in_days = var.retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

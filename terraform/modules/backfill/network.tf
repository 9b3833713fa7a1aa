# The job's workers live in the private subnets: they reach S3, the AWS APIs
# and, with Timestream for InfluxDB, the store's port, nothing else, and
# nothing reaches them.

resource "aws_security_group" "job" {
  #checkov:skip=CKV2_AWS_5:Attached to the EMR Serverless application's network_configuration (main.tf), a resource type this check does not follow.
  name_prefix = "${var.name}-backfill-"
  description = "EMR Serverless workers of the archive backfill: no inbound traffic"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-backfill" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "https_out" {
  security_group_id = aws_security_group.job.id
  description       = "HTTPS out: S3 (the mirror, the job's bucket) and the AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "to_store" {
  count = local.influxdb ? 1 : 0

  security_group_id            = aws_security_group.job.id
  description                  = "InfluxDB API of the store"
  ip_protocol                  = "tcp"
  from_port                    = var.store_port
  to_port                      = var.store_port
  referenced_security_group_id = var.store_security_group_id
  tags                         = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "store_from_job" {
  count = local.influxdb ? 1 : 0

  security_group_id            = var.store_security_group_id
  description                  = "InfluxDB API from the backfill workers"
  ip_protocol                  = "tcp"
  from_port                    = var.store_port
  to_port                      = var.store_port
  referenced_security_group_id = aws_security_group.job.id
  tags                         = var.tags
}

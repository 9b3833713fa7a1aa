# The ingest instance: the pipeline as a systemd service on the ingest image,
# in a private subnet, with an instance profile that can reach its one store
# (with a write-only token for InfluxDB) and its log groups, and nothing else.
# No key pair and no inbound port: operators use SSM Session Manager. Its
# settings come from user data (deploy.env).

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  influxdb      = var.engine == "influxdb"
  liveanalytics = var.engine == "liveanalytics"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

data "aws_iam_policy_document" "ingest" {
  # Timestream for InfluxDB: read the one secret with the ingest token, which
  # may only write the bucket.
  dynamic "statement" {
    for_each = local.influxdb ? [var.influxdb_secret_arn] : []

    content {
      sid       = "ReadIngestToken"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.influxdb ? [var.kms_key_arn] : []

    content {
      sid       = "DecryptIngestTokenThroughSecretsManager"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"]
      }
    }
  }

  # Timestream for LiveAnalytics: the one table. Select is the Query of the
  # watermarks the job restores at start.
  dynamic "statement" {
    for_each = local.liveanalytics ? [var.timestream_table_arn] : []

    content {
      sid       = "WriteAirQualityTable"
      actions   = ["timestream:DescribeTable", "timestream:Select", "timestream:WriteRecords"]
      resources = [statement.value]
    }
  }

  # DescribeEndpoints has no resource type: the service demands "*".
  dynamic "statement" {
    for_each = local.liveanalytics ? [1] : []

    content {
      sid       = "DiscoverTimestreamEndpoints"
      actions   = ["timestream:DescribeEndpoints"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.liveanalytics ? [var.kms_key_arn] : []

    content {
      sid       = "UseTableKeyThroughTimestream"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["timestream.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name_prefix        = "${var.name}-ingest-"
  description        = "Instance role of the ingest job"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "ingest-store-access"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_iam_role_policy" "agents" {
  name   = "ingest-agents"
  role   = aws_iam_role.this.id
  policy = var.agent_policy_json
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-ingest-"
  role        = aws_iam_role.this.name
  tags        = var.tags
}

resource "aws_instance" "this" {
  ami                         = var.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [var.security_group_id]
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true
  user_data                   = var.user_data
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    encrypted             = true
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    delete_on_termination = true
  }

  tags        = merge(var.tags, { Name = "${var.name}-ingest", Role = "ingest" })
  volume_tags = merge(var.tags, { Name = "${var.name}-ingest" })
}

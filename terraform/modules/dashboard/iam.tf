# Instance profile of the Grafana instances: read the admin password and the
# store (its one secret, or its one database), publish agent metrics.

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  influxdb      = var.engine == "influxdb"
  liveanalytics = var.engine == "liveanalytics"
  dns_suffix    = data.aws_partition.current.dns_suffix
  region        = data.aws_region.current.region
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.${local.dns_suffix}"]
    }
  }
}

data "aws_iam_policy_document" "grafana" {
  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = compact([var.admin_secret_arn, local.influxdb ? var.influxdb_secret_arn : ""])
  }

  statement {
    sid       = "DecryptAdminSecretThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.${local.dns_suffix}"]
    }
  }

  # Timestream for LiveAnalytics: what the Grafana Timestream datasource needs
  # to browse and query the one database.
  dynamic "statement" {
    for_each = local.liveanalytics ? [1] : []

    content {
      sid       = "QueryAirQualityDatabase"
      actions   = ["timestream:DescribeDatabase", "timestream:DescribeTable", "timestream:ListMeasures", "timestream:ListTables", "timestream:Select"]
      resources = [var.timestream_database_arn, var.timestream_table_arn]
    }
  }

  # These actions have no resource type: the service demands "*".
  dynamic "statement" {
    for_each = local.liveanalytics ? [1] : []

    content {
      sid       = "TimestreamAccountLevelReads"
      actions   = ["timestream:DescribeEndpoints", "timestream:ListDatabases", "timestream:SelectValues"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.liveanalytics ? [1] : []

    content {
      sid       = "DecryptTableThroughTimestream"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["timestream.${local.region}.${local.dns_suffix}"]
      }
    }
  }

  statement {
    sid       = "PublishAgentMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["CWAgent"]
    }
  }

  statement {
    sid       = "ReadOwnTagsForMetricDimensions"
    actions   = ["ec2:DescribeTags"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "grafana" {
  name_prefix        = "${var.name}-grafana-"
  description        = "Instance role of the Grafana instances"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "grafana" {
  name   = "grafana-store-read"
  role   = aws_iam_role.grafana.id
  policy = data.aws_iam_policy_document.grafana.json
}

resource "aws_iam_instance_profile" "grafana" {
  name_prefix = "${var.name}-grafana-"
  role        = aws_iam_role.grafana.name
  tags        = var.tags
}

# Instance profile of the Grafana instances: read Grafana's own secrets and the
# store (a read-only token of its one bucket, or its one table), publish alerts;
# the agents' policy (SSM, CloudWatch) is attached beside it.

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
  # Grafana's admin password, its secret_key and, for InfluxDB, the read-only
  # token of the bucket. Never the InfluxDB admin secret.
  statement {
    sid       = "ReadGrafanaSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([var.admin_secret_arn, var.secret_key_arn], local.influxdb ? [var.influxdb_secret_arn] : [])
  }

  statement {
    sid       = "DecryptSecretsThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.${local.dns_suffix}"]
    }
  }

  # The alert contact point (type sns, auth by the instance profile).
  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }

  statement {
    sid       = "EncryptAlertsThroughSns"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.${local.dns_suffix}"]
    }
  }

  # Timestream for LiveAnalytics: what the Grafana Timestream datasource sends
  # for the dashboard's queries on the one table.
  dynamic "statement" {
    for_each = local.liveanalytics ? [var.timestream_table_arn] : []

    content {
      sid       = "QueryAirQualityTable"
      actions   = ["timestream:DescribeTable", "timestream:ListMeasures", "timestream:Select"]
      resources = [statement.value]
    }
  }

  # These actions have no resource type: the service demands "*".
  dynamic "statement" {
    for_each = local.liveanalytics ? [1] : []

    content {
      sid       = "TimestreamAccountLevelQueries"
      actions   = ["timestream:CancelQuery", "timestream:DescribeEndpoints", "timestream:SelectValues"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.liveanalytics ? [var.kms_key_arn] : []

    content {
      sid       = "DecryptTableThroughTimestream"
      actions   = ["kms:Decrypt", "kms:DescribeKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["timestream.${local.region}.${local.dns_suffix}"]
      }
    }
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

resource "aws_iam_role_policy" "agents" {
  name   = "grafana-agents"
  role   = aws_iam_role.grafana.id
  policy = var.agent_policy_json
}

resource "aws_iam_instance_profile" "grafana" {
  name_prefix = "${var.name}-grafana-"
  role        = aws_iam_role.grafana.name
  tags        = var.tags
}

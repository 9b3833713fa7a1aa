# The job's runtime role: EMR Serverless assumes it for job runs of this one
# application. It may read the archive mirror, its own bucket's job files,
# keep the state and write logs there, and reach the one store.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["emr-serverless.${data.aws_partition.current.dns_suffix}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_emrserverless_application.this.arn]
    }
  }
}

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListArchiveMirror"
    actions   = ["s3:ListBucket"]
    resources = [local.mirror_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [local.mirror_keys]
    }
  }

  statement {
    sid       = "ReadArchiveMirror"
    actions   = ["s3:GetObject"]
    resources = [local.mirror_objects]
  }

  statement {
    sid       = "ReadJobFiles"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/job/*"]
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["state/*"]
    }
  }

  statement {
    sid       = "KeepState"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.bucket_arn}/state/*"]
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/logs/*"]
  }

  statement {
    sid       = "UseStackKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"]
    }
  }

  # Timestream for InfluxDB: the one secret with the job's credentials.
  dynamic "statement" {
    for_each = local.influxdb ? [var.influxdb_secret_arn] : []

    content {
      sid       = "ReadInfluxDbCredentials"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.influxdb ? [var.kms_key_arn] : []

    content {
      sid       = "UseStackKeyThroughSecretsManager"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.${data.aws_partition.current.dns_suffix}"]
      }
    }
  }

  # Timestream for LiveAnalytics: write to the one table.
  dynamic "statement" {
    for_each = local.liveanalytics ? [var.timestream_table_arn] : []

    content {
      sid       = "WriteAirQualityTable"
      actions   = ["timestream:DescribeTable", "timestream:WriteRecords"]
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

resource "aws_iam_role" "job" {
  name_prefix        = "${var.name}-backfill-"
  description        = "Runtime role of the archive backfill job runs"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "backfill-mirror-and-store"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

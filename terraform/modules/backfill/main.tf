# The archive backfill on EMR Serverless: an arm64 Spark application that
# starts for a job run and stops when idle, in the private subnets (it writes
# to the store), with its Python environment, state and logs in one bucket.
# `make backfill-aws` packs the environment and submits the job runs.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  influxdb      = var.engine == "influxdb"
  liveanalytics = var.engine == "liveanalytics"
  bucket_arn    = aws_s3_bucket.artifacts.arn
  mirror_arn    = "arn:${data.aws_partition.current.partition}:s3:::${var.mirror_bucket}"
  mirror_prefix = trim(var.mirror_prefix, "/")
  # Keys of the mirror the job reads: all of it, or those below the prefix.
  mirror_keys    = local.mirror_prefix == "" ? "*" : "${local.mirror_prefix}/*"
  mirror_objects = "${local.mirror_arn}/${local.mirror_keys}"
  # EMR Serverless images are Amazon Linux 2023: python3 is 3.9 there, 3.11 is /usr/bin/python3.11.
  python = "/usr/bin/python3.11"
  # The job's packages (make backfill-env), unpacked next to the driver and each executor.
  environment = "s3://${aws_s3_bucket.artifacts.bucket}/${var.environment_key}#pyenv"
}

resource "aws_emrserverless_application" "this" {
  name          = "${var.name}-backfill"
  release_label = var.release_label
  type          = "spark"
  architecture  = "ARM64"

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.idle_timeout_minutes
  }

  maximum_capacity {
    cpu    = "${var.max_vcpu} vCPU"
    memory = "${var.max_memory_gb} GB"
  }

  network_configuration {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.job.id]
  }

  monitoring_configuration {
    s3_monitoring_configuration {
      log_uri            = "s3://${aws_s3_bucket.artifacts.bucket}/logs/"
      encryption_key_arn = var.kms_key_arn
    }
  }

  runtime_configuration {
    classification = "spark-defaults"
    properties = {
      "spark.archives"                                       = local.environment
      "spark.emr-serverless.driverEnv.PYSPARK_PYTHON"        = local.python
      "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON" = local.python
      "spark.emr-serverless.driverEnv.PYTHONPATH"            = "./pyenv"
      "spark.executorEnv.PYSPARK_PYTHON"                     = local.python
      "spark.executorEnv.PYTHONPATH"                         = "./pyenv"
      "spark.sql.session.timeZone"                           = "UTC"
      "spark.emr-serverless.driverEnv.AWS_DEFAULT_REGION"    = data.aws_region.current.region
      # the store's credentials (the sink reads them on the driver and hands them to the executors)
      "spark.emr-serverless.driverEnv.AQI_INFLUXDB_SECRET_ARN" = local.influxdb ? var.influxdb_secret_arn : ""
    }
  }

  tags = var.tags
}

# Scoped InfluxDB tokens. A Lambda function in the private subnets (package
# store_tokens/, built by `make store-tokens-zip`) is the only reader of the
# admin secret Timestream for InfluxDB creates. At apply it is invoked once with
# {"action": "provision"}: it creates a write-only token for the ingest job and
# a read-only token for Grafana, both limited to the one bucket, stores each in
# its own secret, and applies the bucket retention. Secrets Manager then calls
# it to rotate each token every rotation_days; the previous token stays valid
# until the next rotation, so running instances keep working until they re-read.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region
  account   = data.aws_caller_identity.current.account_id
  ec2_arn   = "arn:${local.partition}:ec2:${local.region}:${local.account}"
  secrets   = ["ingest", "grafana"]
}

resource "aws_secretsmanager_secret" "token" {
  #checkov:skip=CKV2_AWS_57:Each token secret is rotated by aws_secretsmanager_secret_rotation.token, whose for_each runs over these secrets; checkov does not follow the for_each.
  for_each = toset(local.secrets)

  name_prefix             = "${var.name}/influxdb-${each.key}-token-"
  description             = "InfluxDB token of ${each.key} in ${var.name}: JSON {token, authorization_id}, written by the store-tokens function"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadInfluxDbAdminCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.admin_secret_arn]
  }

  statement {
    sid = "ManageTokenSecrets"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [for s in aws_secretsmanager_secret.token : s.arn]
  }

  statement {
    sid       = "UseTokenSecretKeyThroughSecretsManager"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.${data.aws_partition.current.dns_suffix}"]
    }
  }

  # Lambda decrypts the function's environment with the execution role.
  statement {
    sid       = "DecryptEnvironmentThroughLambda"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["lambda.${local.region}.${data.aws_partition.current.dns_suffix}"]
    }
  }

  # What the Lambda service does with this role: write the function's log
  # events, and attach the function to the private subnets.
  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${var.log_group_arn}:log-stream:*"]
  }

  statement {
    sid       = "CreateNetworkInterfacesInThePrivateSubnets"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = concat(["${local.ec2_arn}:network-interface/*", "${local.ec2_arn}:security-group/${var.security_group_id}"], [for s in var.subnet_ids : "${local.ec2_arn}:subnet/${s}"])
  }

  statement {
    sid       = "ManageOwnNetworkInterfaces"
    actions   = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
    resources = ["${local.ec2_arn}:network-interface/*"]
  }

  # Describe calls have no resource type: the service demands "*".
  statement {
    sid       = "DescribeNetworkInterfacesAndSubnets"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "function" {
  name_prefix        = "${var.name}-store-tokens-"
  description        = "Execution role of the InfluxDB token provisioner"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "function" {
  name   = "store-tokens"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing would add a daemon's permissions and cost to a function that runs a few times a month; its JSON logs go to its own log group.
  #checkov:skip=CKV_AWS_115:Reserved concurrency takes from the account's unreserved pool, which new accounts cannot spare (10 in all); only Terraform and Secrets Manager may invoke the function.
  #checkov:skip=CKV_AWS_116:Terraform and Secrets Manager invoke it synchronously and see each failure; there is no asynchronous event to keep in a dead-letter queue.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by make store-tokens-zip and its hash is pinned by source_code_hash; there is no signing profile to check it against.
  function_name    = "${var.name}-store-tokens"
  description      = "Creates and rotates the scoped InfluxDB tokens of ${var.name}"
  role             = aws_iam_role.function.arn
  runtime          = "python3.12"
  architectures    = ["arm64"]
  handler          = "store_tokens.handler.handle"
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = var.timeout_seconds
  memory_size      = 256
  kms_key_arn      = var.kms_key_arn

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }

  environment {
    variables = {
      AQI_INFLUXDB_URL              = var.influxdb_url
      AQI_INFLUXDB_ADMIN_SECRET_ARN = var.admin_secret_arn
      AQI_INFLUXDB_ORG              = var.organization
      AQI_INFLUXDB_BUCKET           = var.bucket
      AQI_INFLUXDB_RETENTION_DAYS   = tostring(var.retention_days)
      AQI_INGEST_TOKEN_SECRET_ARN   = aws_secretsmanager_secret.token["ingest"].arn
      AQI_GRAFANA_TOKEN_SECRET_ARN  = aws_secretsmanager_secret.token["grafana"].arn
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = var.log_group_name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_permission" "secrets_manager" {
  for_each = aws_secretsmanager_secret.token

  statement_id  = "RotateInfluxDbToken-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "secretsmanager.amazonaws.com"
  source_arn    = each.value.arn
}

# Creates the tokens (when their secrets hold none that works) and applies the
# bucket retention; runs again when the code, the retention or a secret changes.
# Its result, kept in the state, is a summary: the function never returns a token.
resource "aws_lambda_invocation" "provision" {
  function_name = aws_lambda_function.this.function_name
  input         = jsonencode({ action = "provision" })

  triggers = {
    code           = aws_lambda_function.this.source_code_hash
    retention_days = tostring(var.retention_days)
    secrets        = join(",", [for s in aws_secretsmanager_secret.token : s.arn])
  }
}

resource "aws_secretsmanager_secret_rotation" "token" {
  #checkov:skip=CKV_AWS_304:automatically_after_days is var.rotation_days, which its validation (and the root's) holds to 1-90 days, default 30; checkov cannot resolve it through the module call.
  for_each = aws_secretsmanager_secret.token

  secret_id           = each.value.id
  rotation_lambda_arn = aws_lambda_function.this.arn
  # The provision call has just created the token: the first rotation waits a period.
  rotate_immediately = false

  rotation_rules {
    automatically_after_days = var.rotation_days
  }

  depends_on = [aws_lambda_permission.secrets_manager, aws_lambda_invocation.provision]
}

# A generated secret string (the Grafana admin password, Grafana's secret_key).
# Secrets Manager generates it (an ephemeral resource) and Terraform writes it
# through a write-only argument, so the value is in neither the plan nor the
# state. The Grafana instances read it at boot with their instance profile.

ephemeral "aws_secretsmanager_random_password" "this" {
  password_length            = var.length
  exclude_punctuation        = true
  require_each_included_type = true
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Grafana keeps these values in its own configuration and database after first boot; a rotation Lambda would also have to update every instance, so a value is rotated by bumping value_version and replacing the instances.
  name_prefix             = "${var.name}/${var.purpose}-"
  description             = "${var.description} (plain string)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id                = aws_secretsmanager_secret.this.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.this.random_password
  secret_string_wo_version = var.value_version
}

# The resources were named "admin" when the module held the admin password only.
moved {
  from = aws_secretsmanager_secret.admin
  to   = aws_secretsmanager_secret.this
}

moved {
  from = aws_secretsmanager_secret_version.admin
  to   = aws_secretsmanager_secret_version.this
}

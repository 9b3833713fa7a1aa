# The Grafana admin password. Secrets Manager generates it (an ephemeral
# resource) and Terraform writes it through a write-only argument, so the
# password is in neither the plan nor the state. The Grafana instances read it
# at boot with their instance profile.

ephemeral "aws_secretsmanager_random_password" "admin" {
  password_length            = 32
  exclude_punctuation        = true
  require_each_included_type = true
}

resource "aws_secretsmanager_secret" "admin" {
  #checkov:skip=CKV2_AWS_57:Grafana keeps the admin password in its own database after first boot; a rotation Lambda would also have to update every instance, so the password is rotated by bumping password_version and replacing the instances.
  name_prefix             = "${var.name}/grafana-admin-"
  description             = "Grafana admin password of ${var.name} (plain string)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "admin" {
  secret_id                = aws_secretsmanager_secret.admin.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.admin.random_password
  secret_string_wo_version = var.password_version
}

output "secret_arn" {
  description = "ARN of the secret that holds the Grafana admin password (known once the password is stored)."
  value       = aws_secretsmanager_secret.admin.arn

  # Instances must not boot before the secret has a value.
  depends_on = [aws_secretsmanager_secret_version.admin]
}

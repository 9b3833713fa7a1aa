output "secret_arn" {
  description = "ARN of the secret (known once the generated value is stored)."
  value       = aws_secretsmanager_secret.this.arn

  # Instances must not boot before the secret has a value.
  depends_on = [aws_secretsmanager_secret_version.this]
}

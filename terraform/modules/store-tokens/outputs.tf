output "ingest_token_secret_arn" {
  description = "Secret with the ingest job's write-only token for the bucket (known once the tokens are provisioned)."
  value       = aws_secretsmanager_secret.token["ingest"].arn

  # Instances must not boot before the token exists.
  depends_on = [aws_lambda_invocation.provision]
}

output "grafana_token_secret_arn" {
  description = "Secret with Grafana's read-only token for the bucket (known once the tokens are provisioned)."
  value       = aws_secretsmanager_secret.token["grafana"].arn

  depends_on = [aws_lambda_invocation.provision]
}

output "function_name" {
  description = "Name of the token provisioner function."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "Execution role of the function: the only principal that may read the InfluxDB admin secret."
  value       = aws_iam_role.function.arn
}

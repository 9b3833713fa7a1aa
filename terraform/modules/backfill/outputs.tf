output "application_id" {
  description = "ID of the EMR Serverless application (aws emr-serverless start-job-run --application-id)."
  value       = aws_emrserverless_application.this.id
}

output "application_arn" {
  description = "ARN of the EMR Serverless application."
  value       = aws_emrserverless_application.this.arn
}

output "job_role_arn" {
  description = "Runtime role of the job runs (--execution-role-arn)."
  value       = aws_iam_role.job.arn
}

output "bucket" {
  description = "The job's bucket: job/ (environment, entry point), state/ (manifest, quarantine), logs/."
  value       = aws_s3_bucket.artifacts.bucket
}

output "security_group_id" {
  description = "Security group of the job's workers."
  value       = aws_security_group.job.id
}

output "archive_source" {
  description = "The mirror as the job's --source: s3://BUCKET/PREFIX."
  value       = trimsuffix("s3://${var.mirror_bucket}/${local.mirror_prefix}", "/")
}

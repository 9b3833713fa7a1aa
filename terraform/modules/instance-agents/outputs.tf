output "policy_json" {
  description = "IAM policy of the SSM agent and the CloudWatch agent, to attach to an instance role."
  value       = data.aws_iam_policy_document.agents.json
}

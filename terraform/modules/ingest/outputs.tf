output "instance_id" {
  description = "ID of the ingest instance."
  value       = aws_instance.this.id
}

output "role_name" {
  description = "Name of the instance role."
  value       = aws_iam_role.this.name
}

output "private_ip" {
  description = "Private IPv4 address of the ingest instance."
  value       = aws_instance.this.private_ip
}

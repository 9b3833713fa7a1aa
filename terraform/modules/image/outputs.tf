output "ami_id" {
  description = "ID of the chosen AMI."
  value       = var.ami_id == null ? data.aws_ami.this[0].id : var.ami_id
}

output "ami_name" {
  description = "Name of the AMI that was looked up (null when ami_id was passed in)."
  value       = var.ami_id == null ? data.aws_ami.this[0].name : null
}

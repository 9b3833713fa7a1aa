output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "availability_zones" {
  description = "Availability zones the subnets are in."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancer, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (instances, store)."
  value       = aws_subnet.private[*].id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "grafana_security_group_id" {
  description = "Security group of the Grafana instances."
  value       = aws_security_group.grafana.id
}

output "ingest_security_group_id" {
  description = "Security group of the ingest instance."
  value       = aws_security_group.ingest.id
}

output "store_security_group_id" {
  description = "Security group of the Timestream for InfluxDB instance."
  value       = aws_security_group.store.id
}

output "store_tokens_security_group_id" {
  description = "Security group of the InfluxDB token provisioner function."
  value       = aws_security_group.store_tokens.id
}

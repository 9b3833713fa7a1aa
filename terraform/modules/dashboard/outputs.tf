output "url" {
  description = "URL of the dashboard (HTTPS when a certificate is given)."
  value       = "${local.tls ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer (point a CNAME or alias record here)."
  value       = aws_lb.this.dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias record."
  value       = aws_lb.this.zone_id
}

output "autoscaling_group_name" {
  description = "Name of the Grafana Auto Scaling group."
  value       = aws_autoscaling_group.grafana.name
}

output "target_group_arn" {
  description = "ARN of the Grafana target group."
  value       = aws_lb_target_group.grafana.arn
}

output "url" {
  description = "URL of the dashboard: https://<domain_name> with a domain, else the load balancer's name (HTTPS when a certificate is given)."
  value       = local.domain ? "https://${var.domain_name}" : "${local.tls ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "https" {
  description = "Whether the dashboard is served over HTTPS (Grafana's cookie_secure)."
  value       = local.tls
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL of the load balancer (null when waf_enabled is false)."
  value       = var.waf_enabled ? aws_wafv2_web_acl.this[0].arn : null
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

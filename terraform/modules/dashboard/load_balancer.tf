# The Application Load Balancer in front of Grafana. Without a certificate
# (no domain_name, no certificate_arn), port 80 forwards to Grafana; with one,
# port 80 redirects to 443 and a TLS listener with a TLS 1.3/1.2 policy
# forwards. The WAF web ACL (waf.tf) filters every request first.

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_76:The web ACL has AWSManagedRulesKnownBadInputsRuleSet, the rule group with the Log4j rules; checkov also demands AWSManagedRulesAnonymousIpList, which would turn away the public dashboard's VPN, Tor and cloud-hosted visitors.
  name_prefix                = "aqi-"
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [var.alb_security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = 60

  access_logs {
    enabled = true
    bucket  = aws_s3_bucket.access_logs.id
    prefix  = "alb"
  }

  tags = merge(var.tags, { Name = "${var.name}-dashboard" })

  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_lb_target_group" "grafana" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; from there to Grafana the traffic stays in the private subnets, admitted by security group only.
  name_prefix          = "graf-"
  port                 = var.grafana_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = "/api/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  # Signed-in editors keep their session on one instance (each instance has
  # its own Grafana database).
  stickiness {
    enabled         = true
    type            = "lb_cookie"
    cookie_duration = 86400
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Port 80 redirects to HTTPS when a domain or a certificate is given; without one it serves the public, read-only dashboard.
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS when a domain or a certificate is given; without one there is no HTTPS listener to redirect to.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.tls ? "redirect" : "forward"
    target_group_arn = local.tls ? null : aws_lb_target_group.grafana.arn

    dynamic "redirect" {
      for_each = local.tls ? [1] : []

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.tls ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.grafana.arn
  }

  tags = var.tags
}

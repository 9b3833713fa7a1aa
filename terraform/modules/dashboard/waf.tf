# The traffic ceiling: a WAF web ACL on the load balancer. Every IP address
# may send waf_rate_limit requests and waf_query_rate_limit data-source queries
# (POST /api/ds/query, the calls that reach the store) per 5 minutes; past that
# the WAF answers 403 until the address slows down. AWS's known-bad-inputs
# rules drop exploit payloads (Log4j lookups and others). Addresses in
# waf_allowed_cidrs, such as a load generator, are let through before any limit.
# Blocked requests are logged to the group aws-waf-logs-<name>.

locals {
  waf_allow_list = var.waf_enabled && length(var.waf_allowed_cidrs) > 0
  # WAF visibility settings: CloudWatch metrics and sampled requests per rule.
  waf_metric_prefix = replace(var.name, "-", "")
}

resource "aws_wafv2_ip_set" "allowed" {
  count = local.waf_allow_list ? 1 : 0

  name               = "${var.name}-allowed"
  description        = "Addresses the dashboard's rate limits do not apply to (waf_allowed_cidrs)"
  scope              = "REGIONAL"
  ip_address_version = "IPV4"
  addresses          = var.waf_allowed_cidrs
  tags               = var.tags
}

resource "aws_wafv2_web_acl" "this" {
  count = var.waf_enabled ? 1 : 0

  name        = "${var.name}-dashboard"
  description = "Per-IP rate limits and known bad inputs in front of the ${var.name} dashboard"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  dynamic "rule" {
    for_each = local.waf_allow_list ? [aws_wafv2_ip_set.allowed[0].arn] : []

    content {
      name     = "allow-listed-addresses"
      priority = 0

      action {
        allow {}
      }

      statement {
        ip_set_reference_statement {
          arn = rule.value
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.waf_metric_prefix}AllowListed"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric_prefix}KnownBadInputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "queries-per-ip"
    priority = 20

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_query_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"

        scope_down_statement {
          byte_match_statement {
            search_string         = "/api/ds/query"
            positional_constraint = "STARTS_WITH"

            field_to_match {
              uri_path {}
            }

            text_transformation {
              priority = 0
              type     = "LOWERCASE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric_prefix}QueriesPerIp"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "requests-per-ip"
    priority = 30

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.waf_metric_prefix}RequestsPerIp"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.waf_metric_prefix}Dashboard"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_enabled ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}

# Only blocked requests are logged, which keeps the log small. The group
# (module log-groups) is named aws-waf-logs-<name>, as WAF requires.
resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.waf_enabled ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this[0].arn
  log_destination_configs = [var.waf_log_group_arn]

  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }
    }
  }
}

# Who may talk to whom. Every rule is its own resource so that each one can be
# read (and tested) on its own:
#   internet -> alb:80,443 -> grafana:3000
#   ingest, grafana, store-tokens function -> store:8086 (Timestream for InfluxDB)
#   ingest, grafana -> internet:443 (AWS APIs, Sensor.Community), :80 (Debian updates)
#   store-tokens function -> internet:443 (Secrets Manager)
# Nothing admits port 22: operators open shells through SSM Session Manager.

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (load balancer, launch template, ingest instance, InfluxDB instance) through the module outputs.
  name_prefix = "${var.name}-alb-"
  description = "Load balancer of the dashboard: HTTP and HTTPS from the allowed networks"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "grafana" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (load balancer, launch template, ingest instance, InfluxDB instance) through the module outputs.
  name_prefix = "${var.name}-grafana-"
  description = "Grafana instances: only the load balancer reaches them"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-grafana" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "ingest" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (load balancer, launch template, ingest instance, InfluxDB instance) through the module outputs.
  name_prefix = "${var.name}-ingest-"
  description = "Ingest instance: no inbound traffic"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-ingest" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "store_tokens" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (load balancer, launch template, ingest instance, InfluxDB instance) through the module outputs.
  name_prefix = "${var.name}-store-tokens-"
  description = "InfluxDB token provisioner function: no inbound traffic"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-store-tokens" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "store" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (load balancer, launch template, ingest instance, InfluxDB instance) through the module outputs.
  name_prefix = "${var.name}-store-"
  description = "Timestream for InfluxDB: only the ingest and Grafana instances reach it"
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-store" })

  lifecycle {
    create_before_destroy = true
  }
}

# Load balancer.
resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:The dashboard is public; port 80 redirects to HTTPS when a certificate is given and otherwise serves the read-only dashboard.
  for_each = toset(var.ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the allowed networks (forwarded, or redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = local.http_port
  to_port           = local.http_port
  cidr_ipv4         = each.value
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from the allowed networks"
  ip_protocol       = "tcp"
  from_port         = local.https_port
  to_port           = local.https_port
  cidr_ipv4         = each.value
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_to_grafana" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Requests and health checks to Grafana"
  ip_protocol                  = "tcp"
  from_port                    = var.grafana_port
  to_port                      = var.grafana_port
  referenced_security_group_id = aws_security_group.grafana.id
  tags                         = var.tags
}

# Grafana.
resource "aws_vpc_security_group_ingress_rule" "grafana_from_alb" {
  security_group_id            = aws_security_group.grafana.id
  description                  = "Grafana from the load balancer only"
  ip_protocol                  = "tcp"
  from_port                    = var.grafana_port
  to_port                      = var.grafana_port
  referenced_security_group_id = aws_security_group.alb.id
  tags                         = var.tags
}

# Store.
resource "aws_vpc_security_group_ingress_rule" "store_from_clients" {
  for_each = {
    ingest       = aws_security_group.ingest.id
    grafana      = aws_security_group.grafana.id
    store-tokens = aws_security_group.store_tokens.id
  }

  security_group_id            = aws_security_group.store.id
  description                  = "InfluxDB API from the ${each.key} security group"
  ip_protocol                  = "tcp"
  from_port                    = var.store_port
  to_port                      = var.store_port
  referenced_security_group_id = each.value
  tags                         = var.tags
}

# Outbound traffic of the instances.
resource "aws_vpc_security_group_egress_rule" "to_store" {
  for_each = {
    ingest       = aws_security_group.ingest.id
    grafana      = aws_security_group.grafana.id
    store-tokens = aws_security_group.store_tokens.id
  }

  security_group_id            = each.value
  description                  = "InfluxDB API of the store"
  ip_protocol                  = "tcp"
  from_port                    = var.store_port
  to_port                      = var.store_port
  referenced_security_group_id = aws_security_group.store.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https_out" {
  for_each = {
    ingest       = aws_security_group.ingest.id
    grafana      = aws_security_group.grafana.id
    store-tokens = aws_security_group.store_tokens.id
  }

  security_group_id = each.value
  description       = "HTTPS out: AWS APIs (and for the instances the Sensor.Community feeds, Debian security updates)"
  ip_protocol       = "tcp"
  from_port         = local.https_port
  to_port           = local.https_port
  cidr_ipv4         = local.anywhere_v4
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "http_out" {
  for_each = {
    ingest  = aws_security_group.ingest.id
    grafana = aws_security_group.grafana.id
  }

  security_group_id = each.value
  description       = "HTTP out: Debian package mirrors (packages are signed)"
  ip_protocol       = "tcp"
  from_port         = local.http_port
  to_port           = local.http_port
  cidr_ipv4         = local.anywhere_v4
  tags              = var.tags
}

# The air-quality platform on AWS: a VPC, the store (Timestream for InfluxDB or
# for LiveAnalytics), the ingest instance and the Grafana dashboard behind a
# load balancer and a WAF. Each part is a module under modules/.

locals {
  tags     = merge(var.tags, { Project = "aqi-platform" })
  influxdb = var.timestream_engine == "influxdb"
}

module "key" {
  source = "./modules/key"

  name = var.name
}

module "network" {
  source = "./modules/network"

  name               = var.name
  vpc_cidr           = var.vpc_cidr
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
  ingress_cidrs      = var.dashboard_ingress_cidrs
  kms_key_arn        = module.key.key_arn
}

module "alerts" {
  source = "./modules/alerts"

  name        = var.name
  email       = var.alert_email
  kms_key_arn = module.key.key_arn
}

module "store" {
  source = "./modules/store"

  name                       = var.name
  engine                     = var.timestream_engine
  subnet_ids                 = module.network.private_subnet_ids
  security_group_id          = module.network.store_security_group_id
  kms_key_arn                = module.key.key_arn
  influxdb_instance_type     = var.influxdb_instance_type
  influxdb_allocated_storage = var.influxdb_allocated_storage
  influxdb_deployment_type   = var.influxdb_deployment_type
  memory_retention_hours     = var.memory_retention_hours
  magnetic_retention_days    = var.magnetic_retention_days
  max_query_tcu              = var.liveanalytics_max_query_tcu
  alarm_topic_arns           = [module.alerts.topic_arn]
}

# InfluxDB only: the scoped tokens of the ingest job and Grafana, made and
# rotated by a Lambda function, the only reader of the admin secret.
module "store_tokens" {
  source = "./modules/store-tokens"
  count  = local.influxdb ? 1 : 0

  name              = var.name
  package_path      = var.store_tokens_package
  subnet_ids        = module.network.private_subnet_ids
  security_group_id = module.network.store_tokens_security_group_id
  admin_secret_arn  = module.store.influxdb_secret_arn
  influxdb_url      = module.store.influxdb_url
  organization      = module.store.influxdb_organization
  bucket            = module.store.influxdb_bucket
  retention_days    = var.influxdb_retention_days
  rotation_days     = var.influxdb_token_rotation_days
  kms_key_arn       = module.key.key_arn
  log_group_name    = module.log_groups.names["store-tokens"]
  log_group_arn     = module.log_groups.arns["store-tokens"]
}

module "log_groups" {
  source = "./modules/log-groups"

  name = var.name
  service_groups = merge(
    local.influxdb ? { store-tokens = "/${var.name}/store-tokens" } : {},
    var.waf_enabled ? { waf = "aws-waf-logs-${var.name}" } : {},
  )
  retention_days = var.log_retention_days
  kms_key_arn    = module.key.key_arn
}

module "admin_secret" {
  source = "./modules/generated-secret"

  name          = var.name
  purpose       = "grafana-admin"
  description   = "Grafana admin password of ${var.name}"
  kms_key_arn   = module.key.key_arn
  value_version = var.grafana_admin_password_version
}

module "grafana_secret_key" {
  source = "./modules/generated-secret"

  name        = var.name
  purpose     = "grafana-secret-key"
  description = "Grafana secret_key of ${var.name} (signs sessions, encrypts data source secrets)"
  length      = 40
  kms_key_arn = module.key.key_arn
}

module "boot_config" {
  source = "./modules/boot-config"

  engine                   = var.timestream_engine
  region                   = var.region
  influxdb_endpoint        = module.store.influxdb_endpoint
  influxdb_port            = module.store.influxdb_port
  influxdb_bucket          = module.store.influxdb_bucket
  ingest_token_secret_arn  = local.influxdb ? module.store_tokens[0].ingest_token_secret_arn : null
  grafana_token_secret_arn = local.influxdb ? module.store_tokens[0].grafana_token_secret_arn : null
  timestream_database      = module.store.timestream_database
  timestream_table         = module.store.timestream_table
  grafana_admin_secret_arn = module.admin_secret.secret_arn
  grafana_secret_key_arn   = module.grafana_secret_key.secret_arn
  grafana_root_url         = "${module.dashboard.url}/"
  grafana_cookie_secure    = module.dashboard.https
  grafana_anonymous        = var.grafana_anonymous_access
  alert_topic_arn          = module.alerts.topic_arn
  log_group_prefix         = module.log_groups.prefix
  ingest_interval          = var.ingest_interval
}

module "ingest_image" {
  source = "./modules/image"

  role          = "ingest"
  ami_id        = var.ingest_ami_id
  image_version = var.image_version
}

module "grafana_image" {
  source = "./modules/image"

  role          = "grafana"
  ami_id        = var.grafana_ami_id
  image_version = var.image_version
}

module "ingest_agents" {
  source = "./modules/instance-agents"

  log_group_arns = [module.log_groups.arns["ingest"], module.log_groups.arns["system"]]
}

module "grafana_agents" {
  source = "./modules/instance-agents"

  log_group_arns = [module.log_groups.arns["grafana"], module.log_groups.arns["system"]]
}

module "ingest" {
  source = "./modules/ingest"

  name                 = var.name
  ami_id               = module.ingest_image.ami_id
  instance_type        = var.ingest_instance_type
  subnet_id            = module.network.private_subnet_ids[0]
  security_group_id    = module.network.ingest_security_group_id
  engine               = var.timestream_engine
  influxdb_secret_arn  = local.influxdb ? module.store_tokens[0].ingest_token_secret_arn : null
  timestream_table_arn = module.store.timestream_table_arn
  kms_key_arn          = module.key.key_arn
  agent_policy_json    = module.ingest_agents.policy_json
  user_data            = module.boot_config.ingest_user_data
}

module "dashboard" {
  source = "./modules/dashboard"

  name                       = var.name
  ami_id                     = module.grafana_image.ami_id
  instance_type              = var.grafana_instance_type
  vpc_id                     = module.network.vpc_id
  public_subnet_ids          = module.network.public_subnet_ids
  private_subnet_ids         = module.network.private_subnet_ids
  alb_security_group_id      = module.network.alb_security_group_id
  instance_security_group_id = module.network.grafana_security_group_id
  min_size                   = var.grafana_min_size
  max_size                   = var.grafana_max_size
  certificate_arn            = var.certificate_arn
  domain_name                = var.domain_name
  route53_zone_id            = var.route53_zone_id
  deletion_protection        = var.alb_deletion_protection
  waf_enabled                = var.waf_enabled
  waf_rate_limit             = var.waf_rate_limit
  waf_query_rate_limit       = var.waf_query_rate_limit
  waf_allowed_cidrs          = var.waf_allowed_cidrs
  waf_log_group_arn          = var.waf_enabled ? module.log_groups.arns["waf"] : null
  engine                     = var.timestream_engine
  admin_secret_arn           = module.admin_secret.secret_arn
  secret_key_arn             = module.grafana_secret_key.secret_arn
  influxdb_secret_arn        = local.influxdb ? module.store_tokens[0].grafana_token_secret_arn : null
  timestream_table_arn       = module.store.timestream_table_arn
  alert_topic_arn            = module.alerts.topic_arn
  kms_key_arn                = module.key.key_arn
  agent_policy_json          = module.grafana_agents.policy_json
  user_data                  = module.boot_config.grafana_user_data
}

# Off unless backfill_enabled: the archive backfill on EMR Serverless (make backfill-aws).
module "backfill" {
  source = "./modules/backfill"
  count  = var.backfill_enabled ? 1 : 0

  name                    = var.name
  engine                  = var.timestream_engine
  mirror_bucket           = var.backfill_mirror_bucket
  mirror_prefix           = var.backfill_mirror_prefix
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  store_security_group_id = module.network.store_security_group_id
  # The ingest job's write-only token, never the store's admin secret.
  influxdb_secret_arn  = local.influxdb ? module.store_tokens[0].ingest_token_secret_arn : null
  timestream_table_arn = module.store.timestream_table_arn
  kms_key_arn          = module.key.key_arn
  tags                 = local.tags
}

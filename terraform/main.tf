# The air-quality platform on AWS: a VPC, the store (Timestream for InfluxDB or
# for LiveAnalytics), the ingest instance and the Grafana dashboard behind a
# load balancer. Each part is a module under modules/.

locals {
  tags = merge(var.tags, { Project = "aqi-platform" })
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
}

module "admin_secret" {
  source = "./modules/admin-secret"

  name             = var.name
  kms_key_arn      = module.key.key_arn
  password_version = var.grafana_admin_password_version
}

module "boot_config" {
  source = "./modules/boot-config"

  engine                   = var.timestream_engine
  region                   = var.region
  influxdb_endpoint        = module.store.influxdb_endpoint
  influxdb_port            = module.store.influxdb_port
  influxdb_bucket          = module.store.influxdb_bucket
  influxdb_secret_arn      = module.store.influxdb_secret_arn
  timestream_database      = module.store.timestream_database
  timestream_table         = module.store.timestream_table
  grafana_admin_secret_arn = module.admin_secret.secret_arn
  grafana_anonymous        = var.grafana_anonymous_access
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

module "ingest" {
  source = "./modules/ingest"

  name                 = var.name
  ami_id               = module.ingest_image.ami_id
  instance_type        = var.ingest_instance_type
  subnet_id            = module.network.private_subnet_ids[0]
  security_group_id    = module.network.ingest_security_group_id
  engine               = var.timestream_engine
  influxdb_secret_arn  = module.store.influxdb_secret_arn
  timestream_table_arn = module.store.timestream_table_arn
  kms_key_arn          = module.key.key_arn
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
  deletion_protection        = var.alb_deletion_protection
  engine                     = var.timestream_engine
  admin_secret_arn           = module.admin_secret.secret_arn
  influxdb_secret_arn        = module.store.influxdb_secret_arn
  timestream_database_arn    = module.store.timestream_database_arn
  timestream_table_arn       = module.store.timestream_table_arn
  kms_key_arn                = module.key.key_arn
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
  influxdb_secret_arn     = module.store.influxdb_secret_arn
  timestream_table_arn    = module.store.timestream_table_arn
  kms_key_arn             = module.key.key_arn
  tags                    = local.tags
}

# The settings handed to the images at boot (README.md, configuration reference): the
# environment files /etc/aqi-ingest/deploy.env and /etc/aqi-grafana/deploy.env,
# written by cloud-init. They hold names, URLs and secret ARNs only; the
# instances read the secrets themselves with their instance profile. For
# InfluxDB each side gets its own scoped token: the ingest job one that may
# only write the bucket, Grafana one that may only read it.

locals {
  influxdb = var.engine == "influxdb"

  influxdb_host_port = local.influxdb ? "${var.influxdb_endpoint}:${var.influxdb_port}" : null

  sink_url = (
    local.influxdb
    ? "influxdbs://${local.influxdb_host_port}/${var.influxdb_bucket}"
    : "timestream://${var.timestream_database}/${var.timestream_table}?region=${var.region}"
  )

  ingest_env = merge(
    {
      AWS_REGION           = var.region
      AQI_SINK             = local.sink_url
      AQI_INTERVAL         = tostring(var.ingest_interval)
      AQI_FEEDS            = join(",", var.ingest_feeds)
      AQI_LOG_GROUP_PREFIX = var.log_group_prefix
    },
    local.influxdb ? { AQI_INFLUXDB_SECRET_ARN = var.ingest_token_secret_arn } : {},
  )

  grafana_env = merge(
    {
      AQI_STORE_ENGINE             = var.engine
      AWS_REGION                   = var.region
      AQI_GRAFANA_ADMIN_SECRET_ARN = var.grafana_admin_secret_arn
      AQI_GRAFANA_SECRET_KEY_ARN   = var.grafana_secret_key_arn
      AQI_GRAFANA_ROOT_URL         = var.grafana_root_url
      AQI_GRAFANA_COOKIE_SECURE    = tostring(var.grafana_cookie_secure)
      AQI_GRAFANA_ANONYMOUS        = tostring(var.grafana_anonymous)
      AQI_ALERT_TOPIC_ARN          = var.alert_topic_arn
      AQI_LOG_GROUP_PREFIX         = var.log_group_prefix
    },
    local.influxdb ? {
      AQI_INFLUXDB_URL        = "https://${local.influxdb_host_port}"
      AQI_INFLUXDB_DATABASE   = var.influxdb_bucket
      AQI_INFLUXDB_SECRET_ARN = var.grafana_token_secret_arn
      } : {
      AQI_TIMESTREAM_DATABASE = var.timestream_database
      AQI_TIMESTREAM_TABLE    = var.timestream_table
    },
  )

  # KEY=value lines in key order; values are checked to need no quoting.
  env_files = {
    ingest  = join("", [for k in sort(keys(local.ingest_env)) : "${k}=${local.ingest_env[k]}\n"])
    grafana = join("", [for k in sort(keys(local.grafana_env)) : "${k}=${local.grafana_env[k]}\n"])
  }

  safe_value = "^[A-Za-z0-9_.,:/?=&@+-]+$"
  all_values = concat(values(local.ingest_env), values(local.grafana_env))

  user_data = {
    for role, path in {
      ingest  = "/etc/aqi-ingest/deploy.env"
      grafana = "/etc/aqi-grafana/deploy.env"
    } :
    role => "#cloud-config\n${yamlencode({
      write_files = [{
        path        = path
        owner       = "root:root"
        permissions = "0644"
        content     = local.env_files[role]
      }]
    })}"
  }
}

output "sink_url" {
  description = "AQI_SINK of the ingest job for the chosen engine."
  value       = local.sink_url
}

output "ingest_env" {
  description = "Variables of /etc/aqi-ingest/deploy.env."
  value       = local.ingest_env
}

output "grafana_env" {
  description = "Variables of /etc/aqi-grafana/deploy.env."
  value       = local.grafana_env
}

output "ingest_user_data" {
  description = "cloud-init user data of the ingest instance (writes /etc/aqi-ingest/deploy.env)."
  value       = local.user_data["ingest"]

  precondition {
    condition     = alltrue([for v in local.all_values : can(regex(local.safe_value, v))])
    error_message = "Every deploy.env value must be non-empty and free of spaces, quotes and shell characters."
  }
}

output "grafana_user_data" {
  description = "cloud-init user data of the Grafana instances (writes /etc/aqi-grafana/deploy.env)."
  value       = local.user_data["grafana"]

  precondition {
    condition     = alltrue([for v in local.all_values : can(regex(local.safe_value, v))])
    error_message = "Every deploy.env value must be non-empty and free of spaces, quotes and shell characters."
  }
}

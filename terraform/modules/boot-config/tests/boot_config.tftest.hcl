# Runs with `terraform test` (no provider, no credentials): renders the boot
# settings for both engines and checks what the images will read.

variables {
  region                   = "eu-west-2"
  grafana_admin_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/grafana-admin-AbCdEf"
}

run "influxdb_engine" {
  command = apply

  variables {
    engine              = "influxdb"
    influxdb_endpoint   = "abc123.eu-west-2.timestream-influxdb.amazonaws.com"
    influxdb_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:READONLY-InfluxDB-auth-parameters-abc"
  }

  assert {
    condition     = output.sink_url == "influxdbs://abc123.eu-west-2.timestream-influxdb.amazonaws.com:8086/aq"
    error_message = "The ingest sink must be the TLS InfluxDB URL of the instance with bucket aq, got ${output.sink_url}."
  }

  assert {
    condition     = output.ingest_env["AQI_INFLUXDB_SECRET_ARN"] == var.influxdb_secret_arn && output.ingest_env["AWS_REGION"] == "eu-west-2"
    error_message = "The ingest job must get the InfluxDB secret ARN and the region."
  }

  assert {
    condition     = output.grafana_env["AQI_INFLUXDB_URL"] == "https://abc123.eu-west-2.timestream-influxdb.amazonaws.com:8086" && output.grafana_env["AQI_INFLUXDB_DATABASE"] == "aq"
    error_message = "Grafana must get the HTTPS URL of the InfluxDB API and database aq."
  }

  assert {
    condition     = output.grafana_env["AQI_STORE_ENGINE"] == "influxdb" && !contains(keys(output.grafana_env), "AQI_TIMESTREAM_DATABASE")
    error_message = "Grafana must be told the engine and get no LiveAnalytics settings."
  }

  assert {
    condition     = startswith(output.ingest_user_data, "#cloud-config\n")
    error_message = "The user data must be a cloud-config document."
  }

  assert {
    condition     = yamldecode(output.ingest_user_data).write_files[0].path == "/etc/aqi-ingest/deploy.env"
    error_message = "The ingest user data must write /etc/aqi-ingest/deploy.env."
  }

  assert {
    condition     = strcontains(yamldecode(output.ingest_user_data).write_files[0].content, "AQI_SINK=influxdbs://abc123.eu-west-2.timestream-influxdb.amazonaws.com:8086/aq\n")
    error_message = "deploy.env must hold the sink URL as one KEY=value line."
  }

  assert {
    condition     = yamldecode(output.grafana_user_data).write_files[0].path == "/etc/aqi-grafana/deploy.env"
    error_message = "The Grafana user data must write /etc/aqi-grafana/deploy.env."
  }

  assert {
    condition     = strcontains(yamldecode(output.grafana_user_data).write_files[0].content, "AQI_GRAFANA_ADMIN_SECRET_ARN=${var.grafana_admin_secret_arn}\n")
    error_message = "Grafana's deploy.env must name the admin password secret."
  }
}

run "liveanalytics_engine" {
  command = apply

  variables {
    engine = "liveanalytics"
  }

  assert {
    condition     = output.sink_url == "timestream://aqi/air_quality?region=eu-west-2"
    error_message = "The ingest sink must be the LiveAnalytics table URL, got ${output.sink_url}."
  }

  assert {
    condition     = !contains(keys(output.ingest_env), "AQI_INFLUXDB_SECRET_ARN")
    error_message = "The ingest job must get no InfluxDB secret with LiveAnalytics."
  }

  assert {
    condition     = output.grafana_env["AQI_TIMESTREAM_DATABASE"] == "aqi" && output.grafana_env["AQI_TIMESTREAM_TABLE"] == "air_quality" && output.grafana_env["AQI_STORE_ENGINE"] == "liveanalytics"
    error_message = "Grafana must get the LiveAnalytics database and table."
  }

  assert {
    condition     = !contains(keys(output.grafana_env), "AQI_INFLUXDB_URL")
    error_message = "Grafana must get no InfluxDB URL with LiveAnalytics."
  }

  assert {
    condition     = strcontains(yamldecode(output.ingest_user_data).write_files[0].content, "AQI_FEEDS=5m,24h\nAQI_INTERVAL=60\nAQI_SINK=timestream://aqi/air_quality?region=eu-west-2\nAWS_REGION=eu-west-2\n")
    error_message = "deploy.env must list its variables in key order, one per line."
  }
}

run "unknown_engine_is_refused" {
  command = plan

  variables {
    engine = "dynamodb"
  }

  expect_failures = [var.engine]
}

run "influxdb_needs_an_endpoint" {
  command = plan

  variables {
    engine              = "influxdb"
    influxdb_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:x-AbCdEf"
  }

  expect_failures = [var.influxdb_endpoint]
}

run "feeds_are_checked" {
  command = plan

  variables {
    engine       = "liveanalytics"
    ingest_feeds = ["5m", "1h"]
  }

  expect_failures = [var.ingest_feeds]
}

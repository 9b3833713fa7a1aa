# Runs with `terraform test` (no provider, no credentials): renders the boot
# settings for both engines and checks what the images will read.

variables {
  region                   = "eu-west-2"
  grafana_admin_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/grafana-admin-AbCdEf"
  grafana_secret_key_arn   = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/grafana-secret-key-GhIjKl"
  grafana_root_url         = "https://air.example.org/"
  grafana_cookie_secure    = true
  alert_topic_arn          = "arn:aws:sns:eu-west-2:123456789012:aqi-alerts"
  log_group_prefix         = "/aqi"
}

run "influxdb_engine" {
  command = apply

  variables {
    engine                   = "influxdb"
    influxdb_endpoint        = "abc123.eu-west-2.timestream-influxdb.amazonaws.com"
    ingest_token_secret_arn  = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/influxdb-ingest-token-abc"
    grafana_token_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/influxdb-grafana-token-def"
  }

  assert {
    condition     = output.sink_url == "influxdbs://abc123.eu-west-2.timestream-influxdb.amazonaws.com:8086/aq"
    error_message = "The ingest sink must be the TLS InfluxDB URL of the instance with bucket aq, got ${output.sink_url}."
  }

  assert {
    condition     = output.ingest_env["AQI_INFLUXDB_SECRET_ARN"] == var.ingest_token_secret_arn && output.ingest_env["AWS_REGION"] == "eu-west-2"
    error_message = "The ingest job must get its own (write-only) token secret and the region."
  }

  assert {
    condition     = output.grafana_env["AQI_INFLUXDB_SECRET_ARN"] == var.grafana_token_secret_arn
    error_message = "Grafana must get its own (read-only) token secret, not the ingest job's."
  }

  assert {
    condition     = lookup(output.ingest_env, "AQI_LOG_GROUP_PREFIX", "") == "/aqi" && lookup(output.grafana_env, "AQI_LOG_GROUP_PREFIX", "") == "/aqi"
    error_message = "Both images must get the log group prefix."
  }

  assert {
    condition     = output.grafana_env["AQI_GRAFANA_SECRET_KEY_ARN"] == var.grafana_secret_key_arn && output.grafana_env["AQI_ALERT_TOPIC_ARN"] == var.alert_topic_arn
    error_message = "Grafana must get the secret_key secret and the alert topic."
  }

  assert {
    condition     = strcontains(yamldecode(output.grafana_user_data).write_files[0].content, "AQI_GRAFANA_COOKIE_SECURE=true\nAQI_GRAFANA_ROOT_URL=https://air.example.org/\n")
    error_message = "Grafana's deploy.env must carry cookie_secure and the root URL of the domain."
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
    engine                = "liveanalytics"
    grafana_root_url      = "http://aqi-123.eu-west-2.elb.amazonaws.com/"
    grafana_cookie_secure = false
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
    condition     = strcontains(yamldecode(output.ingest_user_data).write_files[0].content, "AQI_FEEDS=5m,24h\nAQI_INTERVAL=60\nAQI_LOG_GROUP_PREFIX=/aqi\nAQI_SINK=timestream://aqi/air_quality?region=eu-west-2\nAWS_REGION=eu-west-2\n")
    error_message = "deploy.env must list its variables in key order, one per line."
  }

  assert {
    condition     = output.grafana_env["AQI_GRAFANA_COOKIE_SECURE"] == "false" && output.grafana_env["AQI_GRAFANA_ROOT_URL"] == "http://aqi-123.eu-west-2.elb.amazonaws.com/"
    error_message = "Without HTTPS Grafana's cookies must not be Secure, and the root URL is the load balancer's."
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
    engine                   = "influxdb"
    ingest_token_secret_arn  = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:x-AbCdEf"
    grafana_token_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:y-AbCdEf"
  }

  expect_failures = [var.influxdb_endpoint]
}

run "influxdb_needs_both_token_secrets" {
  command = plan

  variables {
    engine                  = "influxdb"
    influxdb_endpoint       = "abc123.eu-west-2.timestream-influxdb.amazonaws.com"
    ingest_token_secret_arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:x-AbCdEf"
  }

  expect_failures = [var.grafana_token_secret_arn]
}

run "root_url_is_checked" {
  command = plan

  variables {
    engine           = "liveanalytics"
    grafana_root_url = "https://air.example.org"
  }

  expect_failures = [var.grafana_root_url]
}

run "feeds_are_checked" {
  command = plan

  variables {
    engine       = "liveanalytics"
    ingest_feeds = ["5m", "1h"]
  }

  expect_failures = [var.ingest_feeds]
}

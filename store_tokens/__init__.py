"""Scoped InfluxDB credentials for the ingest job and Grafana, as an AWS Lambda function.

With the store's admin secret (which no instance may read), the function makes a
write-only credential on the one bucket for the ingest job and a read-only one
for Grafana, stores each in its own Secrets Manager secret, applies the bucket
retention, and rotates both secrets (Secrets Manager's four rotation steps).

Runs on the Lambda Python runtime with nothing but its boto3, botocore and
urllib3. Entry point: :func:`store_tokens.handler.handle`.
"""

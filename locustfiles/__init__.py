"""Load test of the Grafana dashboard: Locust users and shape, ASG monitor, report plot."""

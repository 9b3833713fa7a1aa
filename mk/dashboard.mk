# Dashboard: regenerate the committed Grafana JSON of both engines from one definition.

.PHONY: dashboard dashboard-check

dashboard: venv ## Regenerate dashboard/air-quality-{influxdb,timestream}.json
	$(PY) -m dashboard.generate

dashboard-check: venv ## Fail when the committed dashboard JSON is not what the generator writes
	$(PY) -m dashboard.generate --check

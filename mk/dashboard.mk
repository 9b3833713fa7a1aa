# Dashboard: regenerate the committed Grafana JSON of both engines from one definition.

.PHONY: dashboard dashboard-check

dashboard: tools-dashboard ## Regenerate dashboard/air-quality-{influxdb,timestream}.json
	$(PY) -m dashboard.generate

dashboard-check: tools-dashboard ## Fail when the committed dashboard JSON is not what the generator writes
	$(PY) -m dashboard.generate --check

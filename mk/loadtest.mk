# Load test: Locust replays the staged profile against the dashboard, the ASG
# monitor polls the Auto Scaling group beside it, and a plot puts both on one axis.
#   make loadtest HOST=https://dashboard.example.org [ASG=aqi-grafana]
#   make loadtest-headless HOST=... [ASG=...] [LOADTEST_RESULTS=results/run1]
#   make loadtest-report [LOADTEST_RESULTS=...]
# Locust settings go through LOCUST_* variables or LOCUST_ARGS (see "Settings" in docs/loadtest.md).

LOADTEST_RESULTS ?= results/loadtest
LOCUSTFILE ?= locustfiles/dashboard_load.py
LOCUST_ARGS ?=
LOCUST_WEB_HOST ?= 127.0.0.1
# Locust user classes to run (empty: PageViewer and BrowserViewer, equally weighted).
USERS ?=
ASG ?=
# Seconds between two polls of the group (empty: the monitor's own default).
ASG_INTERVAL ?=
# Extra monitor options, e.g. --period 10 --memory-namespace CWAgent
ASG_ARGS ?=
HOST ?=

# Starts the ASG monitor in the background when ASG is set and stops it when the
# recipe's shell exits; Locust's exit code is the recipe's.
define loadtest_with_monitor
case "$(HOST)" in http://*|https://*) ;; \
  *) echo "usage: make $@ HOST=http(s)://dashboard [ASG=group]" >&2; exit 2;; esac; \
mkdir -p $(LOADTEST_RESULTS); \
if [ -n "$(ASG)" ]; then \
  rm -f $(LOADTEST_RESULTS)/asg.csv; \
  $(PY) -m locustfiles.asg_monitor --group "$(ASG)" $(if $(ASG_INTERVAL),--interval $(ASG_INTERVAL)) \
    --out $(LOADTEST_RESULTS)/asg.csv $(ASG_ARGS) & monitor=$$!; \
  trap 'kill -TERM $$monitor 2>/dev/null; wait $$monitor || true' EXIT; \
fi; \
$(VENV)/bin/locust -f $(LOCUSTFILE) --host "$(HOST)" $(1) $(LOCUST_ARGS) $(USERS)
endef

.PHONY: loadtest loadtest-headless loadtest-report

loadtest: tools-loadtest ## Locust web UI on the staged profile (HOST=URL; ASG=group runs the monitor)
	@$(call loadtest_with_monitor,--web-host $(LOCUST_WEB_HOST) --csv $(LOADTEST_RESULTS)/locust --csv-full-history)

loadtest-headless: tools-loadtest ## Headless run: CSV + HTML reports in LOADTEST_RESULTS, exit 1 on a missed threshold
	@$(call loadtest_with_monitor,--headless --only-summary --csv $(LOADTEST_RESULTS)/locust --csv-full-history --html $(LOADTEST_RESULTS)/report.html)

loadtest-report: tools-loadtest ## PNG of instances, CPU, requests/s and p95 from LOADTEST_RESULTS' CSVs
	$(PY) -m locustfiles.report --stats $(LOADTEST_RESULTS)/locust_stats_history.csv \
	  --asg $(LOADTEST_RESULTS)/asg.csv --out $(LOADTEST_RESULTS)/report.png

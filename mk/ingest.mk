# Ingest: the InfluxDB server the tests start, and the benchmark.

TEST_SETUP += influxdb

.PHONY: influxdb bench

influxdb: ## Install Debian's InfluxDB (the tests start it on loopback themselves)
	@command -v influxd >/dev/null || scripts/ensure-apt influxdb

bench: venv java influxdb ## Benchmark one cycle at 30,000 and 300,000 sensors (prints a table)
	$(PY) bench/run_bench.py $(BENCH_ARGS)

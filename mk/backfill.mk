# Archive backfill: `make backfill` on this machine (local[*]), `make backfill-aws`
# on EMR Serverless (terraform/modules/backfill, off unless backfill_enabled).

# Days to load, both included: make backfill FROM=2024-01-01 TO=2024-01-31
FROM ?=
TO ?=
# Where the archive is (default: archive.sensor.community) and where rows go
# (default: the embedded SQLite store); any other option of aqi-ingest backfill
# goes in BACKFILL_ARGS, e.g. BACKFILL_ARGS="--types sds011 --country GB".
SOURCE ?=
SINK ?=
BACKFILL_ARGS ?=
BACKFILL_BUILD := build/backfill

.PHONY: backfill backfill-env backfill-aws

define require_days
	@[ -n "$(FROM)" ] && [ -n "$(TO)" ] || { \
	  echo "error: say which days: make $@ FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
endef

backfill: venv java ## Load hourly and daily means with the DAQI from the archive: FROM=... TO=... [SOURCE=...] [SINK=...]
	$(require_days)
	$(VENV)/bin/aqi-ingest backfill --from "$(FROM)" --to "$(TO)" \
	  $(if $(SOURCE),--source "$(SOURCE)") $(if $(SINK),--sink "$(SINK)") $(BACKFILL_ARGS)

backfill-env: venv ## Pack the backfill's Python environment for EMR Serverless (arm64, Python 3.11)
	$(PY) -m tools.backfill_aws pack --out $(BACKFILL_BUILD)

backfill-aws: ## Run the backfill on EMR Serverless: FROM=... TO=... (needs terraform, aws and backfill_enabled)
	$(require_days)
	@command -v aws >/dev/null || { echo "error: the AWS CLI (aws) is needed for make backfill-aws" >&2; exit 127; }
	@command -v $(TERRAFORM) >/dev/null || { echo "error: '$(TERRAFORM)' not found: make backfill-aws reads the stack's outputs" >&2; exit 127; }
	@$(MAKE) --no-print-directory backfill-env
	$(PY) -m tools.backfill_aws submit --build $(BACKFILL_BUILD) --terraform $(TERRAFORM) \
	  --from "$(FROM)" --to "$(TO)" $(BACKFILL_ARGS)

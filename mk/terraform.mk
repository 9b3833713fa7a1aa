# Terraform: deploy the AWS stack (plan, apply, destroy) and install the tools
# of its offline checks, which `make test` runs from tests/terraform/.

TERRAFORM ?= terraform
TF_DIR := terraform
# Var file, relative to $(TF_DIR); copy terraform.tfvars.example to start.
TF_VARS ?= terraform.tfvars
# Extra arguments for terraform plan/apply/destroy, e.g. TF_ARGS=-auto-approve.
TF_ARGS ?=
# Settings of the state backend for terraform init (a partial backend
# configuration, relative to $(TF_DIR)), e.g. TF_BACKEND_CONFIG=backend.hcl;
# terraform/backend.tf.example shows the S3 backend with state locking.
TF_BACKEND_CONFIG ?=
# What Terraform deploys besides the images: the token provisioner's package
# (mk/store-tokens.mk builds build/lambda/store-tokens.zip).
TF_PACKAGES := $(if $(wildcard mk/store-tokens.mk),store-tokens-zip)

TF_SCHEMA_VENV := .venv-tfschema
TF_SCHEMA_PACKAGES := cdktf-cdktf-provider-aws==21.22.1 cdktf-cdktf-provider-random==12.0.1
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
# HashiCorp's HCL parser (npm @cdktf/hcl2json) for the Terraform and the Packer
# checks: one install, pinned by tools/hcl/package-lock.json.
HCL_TOOLS := tools/hcl
HCL_INSTALLED := $(HCL_TOOLS)/node_modules/.installed

TEST_SETUP += terraform-tools

.PHONY: hcl-tools terraform-tools terraform-check terraform-docs terraform-init plan apply destroy

hcl-tools: $(HCL_INSTALLED) ## Install HashiCorp's HCL parser (npm, pinned in tools/hcl/package-lock.json)

$(HCL_INSTALLED): $(HCL_TOOLS)/package.json $(HCL_TOOLS)/package-lock.json
	@command -v npm >/dev/null || scripts/ensure-apt nodejs npm
	npm ci --prefix $(HCL_TOOLS) --no-audit --no-fund --loglevel=error
	@touch $@

terraform-tools: tools-terraform hcl-tools ## Install the offline Terraform checks (HCL parser, provider schemas, checkov)
	@ls $(TF_SCHEMA_VENV)/lib/python3*/site-packages/cdktf_cdktf_provider_random/_jsii/*.jsii.tgz >/dev/null 2>&1 || { \
	  echo "installing provider schemas: $(TF_SCHEMA_PACKAGES)"; \
	  $(PYTHON) -m venv $(TF_SCHEMA_VENV) && \
	  $(TF_SCHEMA_VENV)/bin/pip install -q --no-deps --no-compile $(TF_SCHEMA_PACKAGES); }
	@[ -x $(CHECKOV_VENV)/bin/checkov ] || { \
	  echo "installing checkov $(CHECKOV_VERSION) in $(CHECKOV_VENV)"; \
	  $(PYTHON) -m venv $(CHECKOV_VENV) && \
	  $(CHECKOV_VENV)/bin/pip install -q checkov==$(CHECKOV_VERSION); }

terraform-check: terraform-tools ## Run only the offline Terraform checks
	$(PY) -m pytest tests/terraform

# A real Terraform (1.11 or newer) and AWS credentials are needed from here on.
define require_terraform
	@command -v $(TERRAFORM) >/dev/null || { \
	  echo "error: '$(TERRAFORM)' not found. make plan/apply/destroy need Terraform >= 1.11 installed" >&2; \
	  echo "       (https://developer.hashicorp.com/terraform/install) and AWS credentials." >&2; \
	  exit 127; }
	@[ -f $(TF_DIR)/$(TF_VARS) ] || { \
	  echo "error: $(TF_DIR)/$(TF_VARS) not found: cp $(TF_DIR)/terraform.tfvars.example $(TF_DIR)/$(TF_VARS) and edit it." >&2; \
	  exit 2; }
endef

terraform-init:
	$(require_terraform)
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false$(if $(TF_BACKEND_CONFIG), -backend-config=$(TF_BACKEND_CONFIG))

plan: terraform-init $(TF_PACKAGES) ## Show what `make apply` would change (needs terraform and AWS credentials)
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false -var-file=$(TF_VARS) $(TF_ARGS)

apply: terraform-init $(TF_PACKAGES) ## Create or update the AWS stack (needs terraform and AWS credentials)
	$(TERRAFORM) -chdir=$(TF_DIR) apply -input=false -var-file=$(TF_VARS) $(TF_ARGS)

destroy: terraform-init ## Delete the AWS stack (set alb_deletion_protection = false and apply first)
	$(TERRAFORM) -chdir=$(TF_DIR) destroy -input=false -var-file=$(TF_VARS) $(TF_ARGS)

terraform-docs: tools-terraform ## Regenerate the inputs/outputs tables of the READMEs under terraform/
	$(PY) -m tools.terraform_docs

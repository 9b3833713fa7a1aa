# Images: the local bake rehearsal (part of `make test`), the tools of the image
# checks, and `make ami` (Packer, arm64, real AWS account).

ARCH ?= amd64
REGION ?= $(AWS_REGION)
BAKE_DIR := build/bake/$(ARCH)
# Everything a bake depends on: a change to any of these re-bakes from scratch.
BAKE_INPUTS := pyproject.toml $(shell find ansible dashboard ingest scripts/images -type f \
  -not -path '*/__pycache__/*' -not -name '*.pyc' 2>/dev/null | sort)

TEST_SETUP += images-tools bake-local

.PHONY: images-tools bake-local ami

images-tools: tools-images hcl-tools ## Install the image checks' tools (the images tool set, HashiCorp's HCL parser)

bake-local: tools-images $(BAKE_DIR)/.baked ## Bake both images locally (debootstrap + the playbooks, twice); ARCH=arm64 under qemu

$(BAKE_DIR)/.baked: $(BAKE_INPUTS)
	@rm -f $@
	scripts/images/bake-local $(ARCH)
	@touch $@

ami: tools-images ## Build both AMIs with Packer in REGION (needs packer and AWS credentials)
	$(PY) scripts/images/build_amis.py --region "$(REGION)" $(AMI_ARGS)

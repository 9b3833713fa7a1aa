# The token provisioner (store_tokens/): its AWS Lambda package, which Terraform
# deploys (`make plan` and `make apply` build it first: TF_PACKAGES of terraform.mk).

STORE_TOKENS_ZIP := build/lambda/store-tokens.zip

.PHONY: store-tokens-zip

store-tokens-zip: $(STORE_TOKENS_ZIP) ## Build the token provisioner's Lambda package (build/lambda/store-tokens.zip)

$(STORE_TOKENS_ZIP): tools/lambda_zip.py $(sort $(wildcard store_tokens/*.py))
	$(PYTHON) -m tools.lambda_zip $@


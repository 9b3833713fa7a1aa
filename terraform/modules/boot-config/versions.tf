terraform {
  # No provider: this module only renders text, so `terraform test` runs it
  # anywhere, without credentials.
  required_version = ">= 1.11.0"
}

# The ingest image: Debian 12 arm64 with the PySpark ingest job as a hardened
# systemd service. Built by `make ami` (scripts/images/build_amis.py).

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "~> 1.3"
    }
    ansible = {
      source  = "github.com/hashicorp/ansible"
      version = "~> 1.1"
    }
  }
}

variable "region" {
  type        = string
  description = "AWS region the image is built and registered in."
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must look like eu-west-2."
  }
}

variable "version" {
  type        = string
  description = "Version of this repository (pyproject.toml), in the image name and tags."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+", var.version))
    error_message = "The version must start with MAJOR.MINOR.PATCH."
  }
}

variable "git_commit" {
  type        = string
  description = "Git commit the image is built from, in the tags."
  validation {
    condition     = can(regex("^[0-9a-f]{40}$", var.git_commit))
    error_message = "The git commit must be a full 40-character hash."
  }
}

variable "instance_type" {
  type        = string
  description = "Graviton (t4g) instance type of the build instance."
  default     = "t4g.small"
  validation {
    condition     = can(regex("^t4g\\.", var.instance_type))
    error_message = "The build instance must be a t4g (arm64) type."
  }
}

variable "volume_size" {
  type        = number
  description = "Size of the root volume in GiB."
  default     = 8
  validation {
    condition     = var.volume_size >= 8 && var.volume_size <= 64
    error_message = "The root volume must be between 8 and 64 GiB."
  }
}

variable "kms_key_id" {
  type        = string
  description = "KMS key (id, alias or ARN) encrypting the volumes and the image; empty for the AWS managed EBS key."
  default     = ""
}

variable "subnet_id" {
  type        = string
  description = "Subnet of the build instance; empty for the default VPC."
  default     = ""
}

variable "source_ami_owner" {
  type        = string
  description = "AWS account publishing the official Debian images."
  default     = "136693071363"
  validation {
    condition     = can(regex("^[0-9]{12}$", var.source_ami_owner))
    error_message = "The owner must be a 12-digit AWS account id."
  }
}

variable "wheelhouse" {
  type        = string
  description = "Folder with the arm64 wheels and requirements.txt (scripts/images/build_wheelhouse.py)."
  default     = "build/wheelhouse/arm64"
}

locals {
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())
  repo_root = abspath("${path.root}/..")
  tags = {
    Project   = "aqi-platform"
    Role      = "ingest"
    Version   = var.version
    GitCommit = var.git_commit
  }
}

source "amazon-ebs" "ingest" {
  region          = var.region
  instance_type   = var.instance_type
  subnet_id       = var.subnet_id
  ami_name        = "aqi-ingest-${var.version}-${local.timestamp}"
  ami_description = "Air-quality ingest job ${var.version} (${var.git_commit}) on Debian 12 arm64"

  source_ami_filter {
    filters = {
      name                = "debian-12-arm64-*"
      architecture        = "arm64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = [var.source_ami_owner]
    most_recent = true
  }

  # IMDSv2 only, on the build instance and on every instance of the image.
  imds_support = "v2.0"
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  encrypt_boot = true
  kms_key_id   = var.kms_key_id
  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.volume_size
    volume_type           = "gp3"
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }

  ssh_username                              = "admin"
  temporary_key_pair_type                   = "ed25519"
  temporary_security_group_source_public_ip = true

  tags          = merge(local.tags, { Name = "aqi-ingest-${var.version}" })
  snapshot_tags = local.tags
  run_tags      = merge(local.tags, { Name = "packer-aqi-ingest" })
}

build {
  name    = "ingest"
  sources = ["source.amazon-ebs.ingest"]

  provisioner "ansible" {
    playbook_file = "${local.repo_root}/ansible/ingest.yml"
    user          = "admin"
    use_proxy     = false
    ansible_env_vars = [
      "ANSIBLE_CONFIG=${local.repo_root}/ansible/ansible.cfg",
      # The build instance is new, reachable from this address only, and gone after the build.
      "ANSIBLE_HOST_KEY_CHECKING=False",
    ]
    extra_arguments = [
      "--extra-vars", "ingest_wheelhouse=${abspath(var.wheelhouse)}",
    ]
  }

  # The image's testinfra suites, against the build instance, before the AMI is registered.
  provisioner "shell-local" {
    environment_vars = [
      "AQI_SSH_HOST=${build.Host}",
      "AQI_SSH_PORT=${build.Port}",
      "AQI_SSH_USER=${build.User}",
      "AQI_SSH_PRIVATE_KEY=${build.SSHPrivateKey}",
    ]
    inline = ["${local.repo_root}/scripts/images/testinfra-remote ingest"]
  }

  post-processor "manifest" {
    output     = "${local.repo_root}/build/packer/manifest.json"
    strip_path = true
    custom_data = {
      role       = "ingest"
      version    = var.version
      git_commit = var.git_commit
    }
  }
}

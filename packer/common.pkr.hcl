# What the two images share: Debian 12 arm64 on a hardened, encrypted build
# instance. Packer reads every .pkr.hcl file of this folder as one configuration;
# images.pkr.hcl holds the build, with one source block per image.
# Built by `make ami` (scripts/images/build_amis.py), one image at a time:
# `packer build -only='aqi.amazon-ebs.<image>' packer/`.

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
  description = "Folder with the arm64 wheels and requirements.txt (scripts/images/build_wheelhouse.py), for the ingest image."
  default     = "build/wheelhouse/arm64"
}

locals {
  timestamp = formatdate("YYYYMMDDhhmmss", timestamp())
  repo_root = abspath("${path.root}/..")
  # Every image's tags; each image adds its Role (and a Name where AWS shows one).
  tags = {
    Project   = "aqi-platform"
    Version   = var.version
    GitCommit = var.git_commit
  }
  ssh_username = "admin"
  ansible_env_vars = [
    "ANSIBLE_CONFIG=${local.repo_root}/ansible/ansible.cfg",
    # The build instance is new, reachable from this address only, and gone after the build.
    "ANSIBLE_HOST_KEY_CHECKING=False",
  ]
  # The image's testinfra suites, run against the build instance before the AMI is registered.
  testinfra = "${local.repo_root}/scripts/images/testinfra-remote"
  manifest  = "${local.repo_root}/build/packer/manifest.json"
}

# Each image's source block in images.pkr.hcl names it and sets its ami_name,
# ami_description and tags; Packer refuses a setting made both here and there.
source "amazon-ebs" "debian-12-arm64" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id

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

  # The temporary build instance; the image and its snapshot carry their Role too.
  run_tags = merge(local.tags, { Name = "packer-aqi-build" })

  ssh_username                              = local.ssh_username
  temporary_key_pair_type                   = "ed25519"
  temporary_security_group_source_public_ip = true
}

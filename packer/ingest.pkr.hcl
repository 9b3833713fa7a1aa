# The ingest image: Debian 12 arm64 with the PySpark ingest job as a hardened
# systemd service. What both images share is in common.pkr.hcl.

build {
  name = "ingest"

  source "source.amazon-ebs.debian-12-arm64" {
    name            = "ingest"
    ami_name        = "aqi-ingest-${var.version}-${local.timestamp}"
    ami_description = "Air-quality ingest job ${var.version} (${var.git_commit}) on Debian 12 arm64"
    tags            = merge(local.tags, { Role = "ingest", Name = "aqi-ingest-${var.version}" })
    snapshot_tags   = merge(local.tags, { Role = "ingest" })
    run_tags        = merge(local.tags, { Role = "ingest", Name = "packer-aqi-ingest" })
  }

  provisioner "ansible" {
    playbook_file    = "${local.repo_root}/ansible/ingest.yml"
    user             = local.ssh_username
    use_proxy        = false
    ansible_env_vars = local.ansible_env_vars
    extra_arguments  = ["--extra-vars", "ingest_wheelhouse=${abspath(var.wheelhouse)}"]
  }

  provisioner "shell-local" {
    environment_vars = [
      "AQI_SSH_HOST=${build.Host}",
      "AQI_SSH_PORT=${build.Port}",
      "AQI_SSH_USER=${build.User}",
      "AQI_SSH_PRIVATE_KEY=${build.SSHPrivateKey}",
    ]
    inline = ["${local.testinfra} ingest"]
  }

  post-processor "manifest" {
    output     = local.manifest
    strip_path = true
    custom_data = {
      role       = "ingest"
      version    = var.version
      git_commit = var.git_commit
    }
  }
}

# The two images, one build: each source block names an image and holds only
# what differs (its AMI name, description and tags); the steps read the image's
# name from source.name. What both share is in common.pkr.hcl.

build {
  name = "aqi"

  source "source.amazon-ebs.debian-12-arm64" {
    name            = "ingest"
    ami_name        = "aqi-ingest-${var.version}-${local.timestamp}"
    ami_description = "Air-quality ingest job ${var.version} (${var.git_commit}) on Debian 12 arm64"
    tags            = merge(local.tags, { Role = "ingest", Name = "aqi-ingest-${var.version}" })
    snapshot_tags   = merge(local.tags, { Role = "ingest" })
  }

  source "source.amazon-ebs.debian-12-arm64" {
    name            = "grafana"
    ami_name        = "aqi-grafana-${var.version}-${local.timestamp}"
    ami_description = "Air-quality Grafana ${var.version} (${var.git_commit}) on Debian 12 arm64"
    tags            = merge(local.tags, { Role = "grafana", Name = "aqi-grafana-${var.version}" })
    snapshot_tags   = merge(local.tags, { Role = "grafana" })
  }

  provisioner "ansible" {
    playbook_file    = "${local.repo_root}/ansible/${source.name}.yml"
    user             = local.ssh_username
    use_proxy        = false
    ansible_env_vars = local.ansible_env_vars
    # Read by the ingest playbook only.
    extra_arguments = ["--extra-vars", "ingest_wheelhouse=${abspath(var.wheelhouse)}"]
  }

  # The image's testinfra suites, against the build instance, before the AMI is registered.
  provisioner "shell-local" {
    environment_vars = [
      "AQI_SSH_HOST=${build.Host}",
      "AQI_SSH_PORT=${build.Port}",
      "AQI_SSH_USER=${build.User}",
      "AQI_SSH_PRIVATE_KEY=${build.SSHPrivateKey}",
    ]
    inline = ["${local.testinfra} ${source.name}"]
  }

  post-processor "manifest" {
    output     = local.manifest
    strip_path = true
    custom_data = {
      role       = source.name
      version    = var.version
      git_commit = var.git_commit
    }
  }
}

# The Grafana image: Debian 12 arm64 with Grafana OSS, the air-quality dashboard
# and its first-boot setup. What both images share is in common.pkr.hcl.

build {
  name = "grafana"

  source "source.amazon-ebs.debian-12-arm64" {
    name            = "grafana"
    ami_name        = "aqi-grafana-${var.version}-${local.timestamp}"
    ami_description = "Air-quality Grafana ${var.version} (${var.git_commit}) on Debian 12 arm64"
    tags            = merge(local.tags, { Role = "grafana", Name = "aqi-grafana-${var.version}" })
    snapshot_tags   = merge(local.tags, { Role = "grafana" })
    run_tags        = merge(local.tags, { Role = "grafana", Name = "packer-aqi-grafana" })
  }

  provisioner "ansible" {
    playbook_file    = "${local.repo_root}/ansible/grafana.yml"
    user             = local.ssh_username
    use_proxy        = false
    ansible_env_vars = local.ansible_env_vars
  }

  provisioner "shell-local" {
    environment_vars = [
      "AQI_SSH_HOST=${build.Host}",
      "AQI_SSH_PORT=${build.Port}",
      "AQI_SSH_USER=${build.User}",
      "AQI_SSH_PRIVATE_KEY=${build.SSHPrivateKey}",
    ]
    inline = ["${local.testinfra} grafana"]
  }

  post-processor "manifest" {
    output     = local.manifest
    strip_path = true
    custom_data = {
      role       = "grafana"
      version    = var.version
      git_commit = var.git_commit
    }
  }
}

# The image an instance boots: the one passed in, or the most recent one that
# `make ami` registered in this account (name aqi-<role>-<version>-<timestamp>,
# tags Project=aqi-platform, Role=<role>, Version, GitCommit).

data "aws_ami" "this" {
  count = var.ami_id == null ? 1 : 0

  owners      = ["self"]
  most_recent = true

  filter {
    name   = "name"
    values = ["aqi-${var.role}-${coalesce(var.image_version, "*")}-*"]
  }

  filter {
    name   = "tag:Project"
    values = ["aqi-platform"]
  }

  filter {
    name   = "tag:Role"
    values = [var.role]
  }

  filter {
    name   = "architecture"
    values = ["arm64"]
  }

  filter {
    name   = "state"
    values = ["available"]
  }

  dynamic "filter" {
    for_each = var.image_version == null ? [] : [var.image_version]

    content {
      name   = "tag:Version"
      values = [filter.value]
    }
  }
}

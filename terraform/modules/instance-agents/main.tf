# What the agents baked into both images may do with the instance profile:
# the SSM agent registers the instance and carries Session Manager shells (no
# SSH, no key pair, no port 22), the CloudWatch agent publishes its metrics and
# ships log events into the instance's log groups (it never creates groups).

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "agents" {
  # UpdateInstanceInformation is authorised on the calling instance: any
  # instance of this account and region (instance IDs are not known in advance).
  statement {
    sid       = "RegisterWithSystemsManager"
    actions   = ["ssm:UpdateInstanceInformation"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:instance/*"]
  }

  # The Session Manager channels have no resource type: the service demands "*".
  statement {
    sid = "OpenSessionManagerChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  # PutMetricData has no resource type; the namespace condition scopes it.
  statement {
    sid       = "PublishAgentMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  # The agent reads the instance's tags for its metric dimensions
  # (AutoScalingGroupName); DescribeTags has no resource type.
  statement {
    sid       = "ReadOwnTagsForMetricDimensions"
    actions   = ["ec2:DescribeTags"]
    resources = ["*"]
  }

  statement {
    sid       = "ShipLogEvents"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for arn in var.log_group_arns : "${arn}:log-stream:*"]
  }
}

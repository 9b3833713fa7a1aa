# Grafana instances: a launch template of the Grafana image and an Auto Scaling
# group that replaces instances failing the load balancer health check and
# follows the group's average CPU with two simple scaling policies.

resource "aws_launch_template" "grafana" {
  name_prefix            = "${var.name}-grafana-"
  description            = "Grafana dashboard of ${var.name}"
  image_id               = var.ami_id
  instance_type          = var.instance_type
  ebs_optimized          = true
  update_default_version = true
  user_data              = base64encode(var.user_data)
  vpc_security_group_ids = [var.instance_security_group_id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.grafana.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  # 1-minute CPU metrics: the scaling alarms evaluate 1-minute periods.
  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = var.root_device_name

    ebs {
      encrypted             = true
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-grafana", Role = "grafana" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.name}-grafana" })
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "grafana" {
  name_prefix               = "${var.name}-grafana-"
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = var.min_size
  vpc_zone_identifier       = var.private_subnet_ids
  target_group_arns         = [aws_lb_target_group.grafana.arn]
  health_check_type         = "ELB"
  health_check_grace_period = var.health_check_grace_seconds
  default_cooldown          = var.cooldown_seconds

  # Group size metrics for the load-test monitor.
  metrics_granularity = "1Minute"
  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMaxSize",
    "GroupMinSize",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
  ]

  launch_template {
    id      = aws_launch_template.grafana.id
    version = aws_launch_template.grafana.latest_version
  }

  # A new image or new settings roll through the group, one healthy
  # replacement before each old instance goes.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
    }
  }

  dynamic "tag" {
    for_each = merge(var.tags, { Name = "${var.name}-grafana" })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The scaling policies own the desired capacity once the group exists.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "scale_out" {
  name                   = "${var.name}-grafana-scale-out"
  autoscaling_group_name = aws_autoscaling_group.grafana.name
  policy_type            = "SimpleScaling"
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = 1
  cooldown               = var.cooldown_seconds
}

resource "aws_autoscaling_policy" "scale_in" {
  name                   = "${var.name}-grafana-scale-in"
  autoscaling_group_name = aws_autoscaling_group.grafana.name
  policy_type            = "SimpleScaling"
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = -1
  cooldown               = var.cooldown_seconds
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${var.name}-grafana-cpu-high"
  alarm_description   = "Average CPU of the Grafana group above ${var.scale_out_cpu_percent}% for ${var.scale_out_minutes} minutes: add an instance"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.scale_out_minutes
  datapoints_to_alarm = var.scale_out_minutes
  threshold           = var.scale_out_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.scale_out.arn]
  tags                = var.tags

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.grafana.name
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu_low" {
  alarm_name          = "${var.name}-grafana-cpu-low"
  alarm_description   = "Average CPU of the Grafana group below ${var.scale_in_cpu_percent}% for ${var.scale_in_minutes} minutes: remove an instance"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.scale_in_minutes
  datapoints_to_alarm = var.scale_in_minutes
  threshold           = var.scale_in_cpu_percent
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_autoscaling_policy.scale_in.arn]
  tags                = var.tags

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.grafana.name
  }
}

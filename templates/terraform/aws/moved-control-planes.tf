# Control planes used to be counted (count = control_plane_count) and are now keyed by their node
# number (for_each over local.control_plane_keys, "1" for <cluster>-cp-1). These blocks tell
# Terraform that index i of a cluster made before is key "i+1" now, so upgrading plans a move,
# never a destroy and create. One block per index up to the five control planes a cluster can
# have; Terraform skips a block whose old address is not in the state. Keep them: an older cluster
# may be upgraded long after this release.

# aws_instance.control_plane
moved {
  from = aws_instance.control_plane[0]
  to   = aws_instance.control_plane["1"]
}

moved {
  from = aws_instance.control_plane[1]
  to   = aws_instance.control_plane["2"]
}

moved {
  from = aws_instance.control_plane[2]
  to   = aws_instance.control_plane["3"]
}

moved {
  from = aws_instance.control_plane[3]
  to   = aws_instance.control_plane["4"]
}

moved {
  from = aws_instance.control_plane[4]
  to   = aws_instance.control_plane["5"]
}

# aws_lb_target_group_attachment.api
moved {
  from = aws_lb_target_group_attachment.api[0]
  to   = aws_lb_target_group_attachment.api["1"]
}

moved {
  from = aws_lb_target_group_attachment.api[1]
  to   = aws_lb_target_group_attachment.api["2"]
}

moved {
  from = aws_lb_target_group_attachment.api[2]
  to   = aws_lb_target_group_attachment.api["3"]
}

moved {
  from = aws_lb_target_group_attachment.api[3]
  to   = aws_lb_target_group_attachment.api["4"]
}

moved {
  from = aws_lb_target_group_attachment.api[4]
  to   = aws_lb_target_group_attachment.api["5"]
}

# aws_vpc_security_group_ingress_rule.lb_control_plane
moved {
  from = aws_vpc_security_group_ingress_rule.lb_control_plane[0]
  to   = aws_vpc_security_group_ingress_rule.lb_control_plane["1"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.lb_control_plane[1]
  to   = aws_vpc_security_group_ingress_rule.lb_control_plane["2"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.lb_control_plane[2]
  to   = aws_vpc_security_group_ingress_rule.lb_control_plane["3"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.lb_control_plane[3]
  to   = aws_vpc_security_group_ingress_rule.lb_control_plane["4"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.lb_control_plane[4]
  to   = aws_vpc_security_group_ingress_rule.lb_control_plane["5"]
}

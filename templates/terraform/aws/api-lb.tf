# The API endpoint: a network load balancer in front of the control planes, created before
# kubeadm runs so controlPlaneEndpoint never changes.

locals {
  # Load balancer and target group names: at most 32 characters of letters, digits and hyphens,
  # no hyphen at either end, and an LB name must not start with "internal-"
  # (hashicorp/terraform-provider-aws internal/service/elbv2/validate.go, validName and
  # validTargetGroupName). Cluster names are DNS labels of up to 63 characters, so: a fixed
  # "api-" start, at most 19 characters of the name, and 8 hex digits of a hash of the full
  # name, which keeps two long names with the same beginning apart in one account and region.
  api_lb_name = "api-${trimsuffix(substr(var.cluster_name, 0, 19), "-")}-${substr(sha256(var.cluster_name), 0, 8)}"
}

resource "aws_lb" "api" {
  name                             = local.api_lb_name
  load_balancer_type               = "network"
  internal                         = false
  subnets                          = aws_subnet.nodes[*].id
  security_groups                  = [aws_security_group.api_lb.id]
  enable_cross_zone_load_balancing = true

  lifecycle {
    # Clusters made before the name got its hash keep their load balancer: a new name would
    # replace it and change the API endpoint that certificates and kubeconfigs carry.
    ignore_changes = [name]
  }
}

resource "aws_lb_target_group" "api" {
  name        = local.api_lb_name
  port        = 6443
  protocol    = "TCP"
  vpc_id      = aws_vpc.cluster.id
  target_type = "instance"
  # Hairpin: with client IP preservation on, a control plane that reaches the API through the
  # load balancer and lands on itself times out (kubeadm init/join do exactly that).
  preserve_client_ip = false

  health_check {
    protocol            = "HTTPS"
    path                = "/readyz"
    port                = "traffic-port"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
  }

  lifecycle {
    # As for the load balancer: an older cluster keeps its target group.
    ignore_changes = [name]
  }
}

resource "aws_lb_listener" "api" {
  load_balancer_arn = aws_lb.api.arn
  port              = 6443
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_lb_target_group_attachment" "api" {
  for_each = local.control_plane_keys

  target_group_arn = aws_lb_target_group.api.arn
  target_id        = aws_instance.control_plane[each.key].id
  port             = 6443
}

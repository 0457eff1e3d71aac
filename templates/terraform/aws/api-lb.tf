# The API endpoint: a network load balancer in front of the control planes, created before
# kubeadm runs so controlPlaneEndpoint never changes.

resource "aws_lb" "api" {
  name                             = substr("${var.cluster_name}-api", 0, 32)
  load_balancer_type               = "network"
  internal                         = false
  subnets                          = aws_subnet.nodes[*].id
  security_groups                  = [aws_security_group.api_lb.id]
  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "api" {
  name        = substr("${var.cluster_name}-api", 0, 32)
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
  count = var.control_plane_count

  target_group_arn = aws_lb_target_group.api.arn
  target_id        = aws_instance.control_plane[count.index].id
  port             = 6443
}

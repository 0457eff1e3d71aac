# Security groups: SSH and the API only from admin_cidrs, anything between nodes (SG to SG),
# NodePorts on workers from nodeport_cidrs, egress anywhere. Nothing else is open.
# Rules are separate resources (not inline blocks) so that adding one never rewrites the others.

locals {
  aws_protocol = { tcp = "tcp", udp = "udp", ipip = "4", all = "-1" }
  has_ports    = { tcp = true, udp = true, ipip = false, all = false }
}

resource "aws_security_group" "nodes" {
  name        = "${var.cluster_name}-nodes"
  description = "Every node of ${var.cluster_name}"
  vpc_id      = aws_vpc.cluster.id

  # The one group of each instance with the cluster tag: the CCM opens node ports to its load
  # balancers here, and refuses an instance with several tagged groups ("Multiple tagged security
  # groups found for instance", pkg/providers/v1/aws.go findSecurityGroupForInstance), so the
  # control_plane, workers and api_lb groups stay untagged.
  tags = local.cluster_tag
}

resource "aws_security_group" "control_plane" {
  name        = "${var.cluster_name}-control-plane"
  description = "Control planes of ${var.cluster_name}"
  vpc_id      = aws_vpc.cluster.id
}

resource "aws_security_group" "workers" {
  name        = "${var.cluster_name}-workers"
  description = "Workers of ${var.cluster_name}"
  vpc_id      = aws_vpc.cluster.id
}

resource "aws_security_group" "api_lb" {
  name        = "${var.cluster_name}-api-lb"
  description = "API load balancer of ${var.cluster_name}"
  vpc_id      = aws_vpc.cluster.id
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = toset(var.admin_cidrs)

  security_group_id = aws_security_group.nodes.id
  description       = "SSH from an admin network"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "between_nodes" {
  for_each = local.between_nodes_rules

  security_group_id            = aws_security_group.nodes.id
  description                  = "Between nodes: ${each.key}"
  ip_protocol                  = local.aws_protocol[each.value.protocol]
  from_port                    = local.has_ports[each.value.protocol] ? each.value.from : null
  to_port                      = local.has_ports[each.value.protocol] ? each.value.to : null
  referenced_security_group_id = aws_security_group.nodes.id
}

resource "aws_vpc_security_group_ingress_rule" "api_admin" {
  for_each = toset(var.admin_cidrs)

  security_group_id = aws_security_group.control_plane.id
  description       = "Kubernetes API from an admin network, direct to a control plane"
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "api_from_lb" {
  security_group_id            = aws_security_group.control_plane.id
  description                  = "Kubernetes API and its health check from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 6443
  to_port                      = 6443
  referenced_security_group_id = aws_security_group.api_lb.id
}

resource "aws_vpc_security_group_ingress_rule" "nodeports" {
  for_each = toset(local.nodeport_cidrs)

  security_group_id = aws_security_group.workers.id
  description       = "NodePorts"
  ip_protocol       = "tcp"
  from_port         = 30000
  to_port           = 32767
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "nodes_all" {
  security_group_id = aws_security_group.nodes.id
  description       = "Egress anywhere (packages, images, the API load balancer)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "lb_admin" {
  for_each = toset(var.admin_cidrs)

  security_group_id = aws_security_group.api_lb.id
  description       = "Kubernetes API from an admin network"
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  cidr_ipv4         = each.value
}

# The load balancer is internet-facing, so nodes reach it from their public addresses: one /32
# rule per node (a security-group reference would only match private addresses).
resource "aws_vpc_security_group_ingress_rule" "lb_control_plane" {
  for_each = local.control_plane_keys

  security_group_id = aws_security_group.api_lb.id
  description       = "Kubernetes API from ${aws_instance.control_plane[each.key].tags["Name"]}"
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  cidr_ipv4         = "${aws_instance.control_plane[each.key].public_ip}/32"
}

resource "aws_vpc_security_group_ingress_rule" "lb_worker" {
  count = var.worker_count

  security_group_id = aws_security_group.api_lb.id
  description       = "Kubernetes API from ${aws_instance.worker[count.index].tags["Name"]}"
  ip_protocol       = "tcp"
  from_port         = 6443
  to_port           = 6443
  cidr_ipv4         = "${aws_instance.worker[count.index].public_ip}/32"
}

resource "aws_vpc_security_group_egress_rule" "lb_to_control_plane" {
  security_group_id            = aws_security_group.api_lb.id
  description                  = "Forward to the control planes"
  ip_protocol                  = "tcp"
  from_port                    = 6443
  to_port                      = 6443
  referenced_security_group_id = aws_security_group.control_plane.id
}

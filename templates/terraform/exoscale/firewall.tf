# Security groups. Exoscale filters only the public interface (the private network, where the
# node traffic runs, is not filtered), so these rules are what the internet sees: SSH and the API
# from admin_cidrs, anything between members of the nodes group, NodePorts on workers from
# nodeport_cidrs. A group without egress rules lets all egress through, which is what we want.
# Security groups are organisation-wide, so their names carry the zone: same-named clusters in
# two zones do not collide.

locals {
  exoscale_protocol = { tcp = "TCP", udp = "UDP", ipip = "IPIP" }
  # Exoscale rules need a protocol: "all" becomes every TCP and UDP port.
  exoscale_between_nodes = merge([for name, rule in local.between_nodes_rules :
    rule.protocol == "all" ? {
      "all-tcp" = { protocol = "TCP", from = 1, to = 65535 }
      "all-udp" = { protocol = "UDP", from = 1, to = 65535 }
      } : {
      (name) = { protocol = local.exoscale_protocol[rule.protocol], from = rule.from, to = rule.to }
    }
  ]...)
}

resource "exoscale_security_group" "nodes" {
  name        = "${var.cluster_name}-${var.zone}-nodes"
  description = "Every node of ${var.cluster_name}"

  # The zone joined the name later: a group of an older cluster keeps its name (renaming forces a new group).
  lifecycle {
    ignore_changes = [name]
  }
}

resource "exoscale_security_group" "control_plane" {
  name        = "${var.cluster_name}-${var.zone}-control-plane"
  description = "Control planes of ${var.cluster_name}"

  # The zone joined the name later: a group of an older cluster keeps its name (renaming forces a new group).
  lifecycle {
    ignore_changes = [name]
  }
}

resource "exoscale_security_group" "workers" {
  name        = "${var.cluster_name}-${var.zone}-workers"
  description = "Workers of ${var.cluster_name}"

  # The zone joined the name later: a group of an older cluster keeps its name (renaming forces a new group).
  lifecycle {
    ignore_changes = [name]
  }
}

resource "exoscale_security_group_rule" "ssh" {
  for_each = toset(var.admin_cidrs)

  security_group_id = exoscale_security_group.nodes.id
  description       = "SSH from an admin network"
  type              = "INGRESS"
  protocol          = "TCP"
  start_port        = 22
  end_port          = 22
  cidr              = each.value
}

resource "exoscale_security_group_rule" "between_nodes" {
  for_each = local.exoscale_between_nodes

  security_group_id      = exoscale_security_group.nodes.id
  description            = "Between nodes: ${each.key}"
  type                   = "INGRESS"
  protocol               = each.value.protocol
  start_port             = each.value.protocol == "IPIP" ? null : each.value.from
  end_port               = each.value.protocol == "IPIP" ? null : each.value.to
  user_security_group_id = exoscale_security_group.nodes.id
}

# ICMP between nodes (ping, PMTU discovery): type and code -1 mean any, the API's default
# ("ICMP details (default: -1 (ANY))", egoscale v3 AddRuleToSecurityGroupRequestICMP; the
# provider accepts -1..254, pkg/resources/security_group/resource_rule.go, v0.70.0).
resource "exoscale_security_group_rule" "icmp_between_nodes" {
  security_group_id      = exoscale_security_group.nodes.id
  description            = "Between nodes: ICMP"
  type                   = "INGRESS"
  protocol               = "ICMP"
  icmp_type              = -1
  icmp_code              = -1
  user_security_group_id = exoscale_security_group.nodes.id
}

resource "exoscale_security_group_rule" "api_admin" {
  for_each = toset(var.admin_cidrs)

  security_group_id = exoscale_security_group.control_plane.id
  description       = "Kubernetes API from an admin network"
  type              = "INGRESS"
  protocol          = "TCP"
  start_port        = 6443
  end_port          = 6443
  cidr              = each.value
}

# Nodes reach the API through the Elastic IP from their public addresses.
resource "exoscale_security_group_rule" "api_nodes" {
  security_group_id      = exoscale_security_group.control_plane.id
  description            = "Kubernetes API from the nodes"
  type                   = "INGRESS"
  protocol               = "TCP"
  start_port             = 6443
  end_port               = 6443
  user_security_group_id = exoscale_security_group.nodes.id
}

# The Elastic IP's /readyz health checks. Exoscale documents no source address for managed-EIP
# checks (community.exoscale.com/product/networking/eip/how-to/managed-eip-healthcheck); the one
# documented set of health-check sources is the public group "public-nlb-healthcheck-sources",
# "all IP addresses from Exoscale infrastructure that may reach out to test the availability"
# (product/networking/security-group/operation/organizing-security-groups). Opening 6443 to the
# internet instead would work whatever the source, but exposes the API beyond admin_cidrs. If the
# checks are not admitted, no control plane becomes healthy and kubeadm init times out at its
# first call through the Elastic IP (README, Exoscale).
resource "exoscale_security_group_rule" "api_healthcheck" {
  security_group_id     = exoscale_security_group.control_plane.id
  description           = "Elastic IP health checks"
  type                  = "INGRESS"
  protocol              = "TCP"
  start_port            = 6443
  end_port              = 6443
  public_security_group = "public-nlb-healthcheck-sources"
}

resource "exoscale_security_group_rule" "nodeports" {
  for_each = toset(local.nodeport_cidrs)

  security_group_id = exoscale_security_group.workers.id
  description       = "NodePorts"
  type              = "INGRESS"
  protocol          = "TCP"
  start_port        = 30000
  end_port          = 32767
  cidr              = each.value
}

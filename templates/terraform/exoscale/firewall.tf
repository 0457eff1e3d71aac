# Security groups. Exoscale filters only the public interface (the private network is not
# filtered), so these rules are what the internet sees: SSH and the API from admin_cidrs,
# anything between members of the nodes group, NodePorts on workers from nodeport_cidrs.
# A group without egress rules lets all egress through, which is what we want.

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
  name        = "${var.cluster_name}-nodes"
  description = "Every node of ${var.cluster_name}"
}

resource "exoscale_security_group" "control_plane" {
  name        = "${var.cluster_name}-control-plane"
  description = "Control planes of ${var.cluster_name}"
}

resource "exoscale_security_group" "workers" {
  name        = "${var.cluster_name}-workers"
  description = "Workers of ${var.cluster_name}"
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

# The Elastic IP's /readyz health checks come from Exoscale's health-check sources.
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

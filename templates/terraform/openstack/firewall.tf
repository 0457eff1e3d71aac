# Security groups: SSH and the API from admin_cidrs, anything between nodes (group to group),
# NodePorts on workers from nodeport_cidrs, egress anywhere. The default rules are deleted so
# nothing else is open.

locals {
  openstack_protocol = { tcp = "tcp", udp = "udp", ipip = "4", all = null }
  openstack_ports    = { tcp = true, udp = true, ipip = false, all = false }
}

resource "openstack_networking_secgroup_v2" "nodes" {
  name                 = "${var.cluster_name}-nodes"
  description          = "Every node of ${var.cluster_name}"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_v2" "control_plane" {
  name                 = "${var.cluster_name}-control-plane"
  description          = "Control planes of ${var.cluster_name}"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_v2" "workers" {
  name                 = "${var.cluster_name}-workers"
  description          = "Workers of ${var.cluster_name}"
  delete_default_rules = true
}

resource "openstack_networking_secgroup_rule_v2" "egress" {
  security_group_id = openstack_networking_secgroup_v2.nodes.id
  description       = "Egress anywhere"
  direction         = "egress"
  ethertype         = "IPv4"
  remote_ip_prefix  = "0.0.0.0/0"
}

resource "openstack_networking_secgroup_rule_v2" "ssh" {
  for_each = toset(var.admin_cidrs)

  security_group_id = openstack_networking_secgroup_v2.nodes.id
  description       = "SSH from an admin network"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = each.value
}

resource "openstack_networking_secgroup_rule_v2" "between_nodes" {
  for_each = local.between_nodes_rules

  security_group_id = openstack_networking_secgroup_v2.nodes.id
  description       = "Between nodes: ${each.key}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = local.openstack_protocol[each.value.protocol]
  port_range_min    = local.openstack_ports[each.value.protocol] ? each.value.from : null
  port_range_max    = local.openstack_ports[each.value.protocol] ? each.value.to : null
  remote_group_id   = openstack_networking_secgroup_v2.nodes.id
}

resource "openstack_networking_secgroup_rule_v2" "api_admin" {
  for_each = toset(var.admin_cidrs)

  security_group_id = openstack_networking_secgroup_v2.control_plane.id
  description       = "Kubernetes API from an admin network"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = each.value
}

# Octavia's amphorae reach the members (and run the health check) from the node subnet.
resource "openstack_networking_secgroup_rule_v2" "api_from_lb" {
  security_group_id = openstack_networking_secgroup_v2.control_plane.id
  description       = "Kubernetes API from the load balancer"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = var.node_cidr
}

resource "openstack_networking_secgroup_rule_v2" "nodeports" {
  for_each = toset(local.nodeport_cidrs)

  security_group_id = openstack_networking_secgroup_v2.workers.id
  description       = "NodePorts"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 30000
  port_range_max    = 32767
  remote_ip_prefix  = each.value
}

# Security groups: SSH and the API from admin_cidrs, anything between nodes (group to group),
# NodePorts on workers from nodeport_cidrs, egress anywhere. With the OVN load balancer, which keeps
# the client address and takes no allowed_cidrs, the control-plane group is the API's only filter.
# The default rules are deleted so nothing else is open.

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

# The load balancer's own addresses on the node subnet: the amphora's member-side port, or the OVN
# provider's health-monitor port (ovn-lb-hm-<subnet>, openstack/ovn-octavia-provider
# common/constants.py LB_HM_PORT_PREFIX). Neither is in the nodes group, so between_nodes does not
# cover them even when allow_all_between_nodes is true; their addresses are not known in advance,
# hence the whole subnet (which holds nothing but the cluster).
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

# OVN keeps the client address, so the control planes see nodes that reach the API through its
# floating IP as the router forwards them: from their floating IP, or from the router's gateway IP
# (api-lb-settings.tf). Amphora connects from its own port (api_from_lb), so these rules exist only
# when the provider may be OVN (lb_provider ovn or null); one rule per node keeps a worker change
# to that worker's own rule.
locals {
  lb_may_be_ovn = var.lb_provider == null ? true : lower(var.lb_provider) == "ovn"
  # IPv4 only: the rules are IPv4 (cidrnetmask accepts no IPv6 address).
  router_gateway_ipv4 = [for ip in openstack_networking_router_v2.cluster.external_fixed_ip : ip.ip_address if can(cidrnetmask("${ip.ip_address}/32"))]
}

resource "openstack_networking_secgroup_rule_v2" "api_from_router" {
  count = local.lb_may_be_ovn ? 1 : 0

  security_group_id = openstack_networking_secgroup_v2.control_plane.id
  description       = "Kubernetes API from nodes behind the router's gateway IP"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = "${try(local.router_gateway_ipv4[0], "")}/32"

  lifecycle {
    precondition {
      condition     = length(local.router_gateway_ipv4) > 0
      error_message = "The router has no IPv4 address on the external network (IPv6-only external networks are not supported): nodes behind it could not reach the API through the load balancer."
    }
  }
}

resource "openstack_networking_secgroup_rule_v2" "api_fip_control_plane" {
  for_each = local.lb_may_be_ovn ? local.control_plane_keys : toset([])

  security_group_id = openstack_networking_secgroup_v2.control_plane.id
  description       = "Kubernetes API from the floating IP of ${var.cluster_name}-cp-${each.key}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = "${openstack_networking_floatingip_v2.control_plane[each.key].address}/32"
}

resource "openstack_networking_secgroup_rule_v2" "api_fip_worker" {
  count = local.lb_may_be_ovn ? var.worker_count : 0

  security_group_id = openstack_networking_secgroup_v2.control_plane.id
  description       = "Kubernetes API from the floating IP of ${var.cluster_name}-worker-${count.index + 1}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6443
  port_range_max    = 6443
  remote_ip_prefix  = "${openstack_networking_floatingip_v2.worker[count.index].address}/32"
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

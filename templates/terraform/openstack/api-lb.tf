# The API endpoint: an Octavia load balancer on the node subnet with a floating IP on its VIP
# port, created before kubeadm runs so controlPlaneEndpoint never changes.

locals {
  # The listener admits the admin networks, the node network, and the nodes' floating IPs
  # (nodes that reach the floating IP arrive from those). Adding workers therefore updates the
  # listener in place.
  api_allowed_cidrs = distinct(concat(
    var.admin_cidrs,
    [var.node_cidr],
    [for fip in concat(openstack_networking_floatingip_v2.control_plane, openstack_networking_floatingip_v2.worker) : "${fip.address}/32"],
  ))
}

resource "openstack_lb_loadbalancer_v2" "api" {
  name                  = "${var.cluster_name}-api"
  vip_subnet_id         = openstack_networking_subnet_v2.nodes.id
  loadbalancer_provider = var.lb_provider
}

resource "openstack_lb_listener_v2" "api" {
  name            = "${var.cluster_name}-api"
  loadbalancer_id = openstack_lb_loadbalancer_v2.api.id
  protocol        = "TCP"
  protocol_port   = 6443
  allowed_cidrs   = local.api_allowed_cidrs
  # Long-lived watches: keep idle API connections open for an hour.
  timeout_client_data = 3600000
  timeout_member_data = 3600000
}

resource "openstack_lb_pool_v2" "api" {
  name        = "${var.cluster_name}-api"
  listener_id = openstack_lb_listener_v2.api.id
  protocol    = "TCP"
  lb_method   = "ROUND_ROBIN"
}

resource "openstack_lb_member_v2" "api" {
  count = var.control_plane_count

  name          = "${var.cluster_name}-cp-${count.index + 1}"
  pool_id       = openstack_lb_pool_v2.api.id
  address       = openstack_networking_port_v2.control_plane[count.index].all_fixed_ips[0]
  protocol_port = 6443
  subnet_id     = openstack_networking_subnet_v2.nodes.id
}

resource "openstack_lb_monitor_v2" "api" {
  name           = "${var.cluster_name}-api"
  pool_id        = openstack_lb_pool_v2.api.id
  type           = var.api_monitor_type
  url_path       = var.api_monitor_type == "HTTPS" ? "/readyz" : null
  expected_codes = var.api_monitor_type == "HTTPS" ? "200" : null
  delay          = 10
  timeout        = 5
  max_retries    = 3
}

resource "openstack_networking_floatingip_v2" "api" {
  pool    = var.external_network
  port_id = openstack_lb_loadbalancer_v2.api.vip_port_id

  depends_on = [openstack_networking_router_interface_v2.nodes]
}

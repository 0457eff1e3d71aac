# The API endpoint: an Octavia load balancer on the node subnet with a floating IP on its VIP
# port, created before kubeadm runs so controlPlaneEndpoint never changes.

locals {
  # Octavia reports the provider it used: lb_provider, or the cloud's default when that is null
  # (terraform-provider-openstack openstack/resource_openstack_lb_loadbalancer_v2.go: the attribute
  # is Optional+Computed and read back from the API). api-lb-settings.tf decides from it.
  lb_provider_in_use = openstack_lb_loadbalancer_v2.api.loadbalancer_provider
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
  # null on OVN, which refuses the option (api-lb-settings.tf).
  allowed_cidrs = local.api_listener_allowed_cidrs
  # Long-lived watches: keep idle API connections open for an hour.
  timeout_client_data = 3600000
  timeout_member_data = 3600000

  lifecycle {
    precondition {
      condition     = local.lb_is_ovn || length(local.external_network_cidrs) > 0
      error_message = "The external network has no IPv4 subnet the project can read: nodes could not reach the API through its floating IP."
    }
  }
}

resource "openstack_lb_pool_v2" "api" {
  name        = "${var.cluster_name}-api"
  listener_id = openstack_lb_listener_v2.api.id
  protocol    = "TCP"
  lb_method   = local.api_lb_method
}

resource "openstack_lb_member_v2" "api" {
  for_each = local.control_plane_keys

  name          = "${var.cluster_name}-cp-${each.key}"
  pool_id       = openstack_lb_pool_v2.api.id
  address       = openstack_networking_port_v2.control_plane[each.key].all_fixed_ips[0]
  protocol_port = 6443
  subnet_id     = openstack_networking_subnet_v2.nodes.id
}

resource "openstack_lb_monitor_v2" "api" {
  name           = "${var.cluster_name}-api"
  pool_id        = openstack_lb_pool_v2.api.id
  type           = local.api_monitor_type
  url_path       = local.api_monitor_type == "HTTPS" ? "/readyz" : null
  expected_codes = local.api_monitor_type == "HTTPS" ? "200" : null
  delay          = 10
  timeout        = 5
  max_retries    = 3

  lifecycle {
    # Known at plan when lb_provider is set; otherwise checked once Octavia reports its provider.
    precondition {
      condition     = local.api_monitor_problem == null
      error_message = "The OVN Octavia provider has only TCP and UDP-CONNECT health monitors: set provider.apiMonitorType to TCP in cluster.yaml, or leave it unset."
    }
  }
}

resource "openstack_networking_floatingip_v2" "api" {
  pool    = var.external_network
  port_id = openstack_lb_loadbalancer_v2.api.vip_port_id

  depends_on = [openstack_networking_router_interface_v2.nodes]
}

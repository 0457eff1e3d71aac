# What the API load balancer may use depends on the Octavia provider that runs it. Only locals
# here, so the choices can be evaluated without a cloud; api-lb.tf defines the two inputs:
#   local.lb_provider_in_use     - the provider Octavia reports for the load balancer (the cloud's
#                                  default when lb_provider is null; known once it exists)
#   local.external_network_cidrs - the IPv4 subnets of the external network (network.tf)
#
# The OVN provider refuses three things the amphora provider takes
# (openstack/ovn-octavia-provider ovn_octavia_provider/driver.py and common/constants.py):
#   - any allowed_cidrs on a listener (_check_for_allowed_cidrs, on create and update);
#   - algorithms other than OVN_NATIVE_LB_ALGORITHMS: SOURCE_IP_PORT (SOURCE_IP only since 2026);
#   - monitors other than SUPPORTED_HEALTH_MONITOR_TYPES: TCP and UDP-CONNECT (_validate_hm_support).
# The amphora provider in turn has no SOURCE_IP_PORT (openstack/octavia
# octavia/api/drivers/amphora_driver/v2/driver.py, AMPHORA_SUPPORTED_LB_ALGORITHMS), so no one
# algorithm fits both: the choice follows the provider in use.

locals {
  lb_is_ovn = lower(local.lb_provider_in_use) == "ovn"

  api_lb_method = local.lb_is_ovn ? "SOURCE_IP_PORT" : "ROUND_ROBIN"

  # null: HTTPS GET /readyz where the provider can (amphora), TCP on OVN.
  api_monitor_type = coalesce(var.api_monitor_type, local.lb_is_ovn ? "TCP" : "HTTPS")
  api_monitor_problem = (local.lb_is_ovn && local.api_monitor_type != "TCP"
    ? "The OVN Octavia provider has only TCP and UDP-CONNECT health monitors: set provider.apiMonitorType to TCP in cluster.yaml, or leave it unset."
  : null)

  # Amphora proxies the connection, so the members see the amphora, not the client: the listener
  # is where clients are filtered. Nodes reach the API through its floating IP; the router sends
  # that hairpin on with the node's floating IP (or, without one, the router's gateway IP) as
  # source (openstack/neutron neutron/agent/l3/router_info.py: the snat chain jumps to float-snat
  # first). Every such address is on the external network, so its subnets are admitted instead of
  # one /32 per node, and adding or removing a worker never changes the listener.
  # On OVN the client address reaches the members, and the control-plane security group filters
  # (firewall.tf); the listener must have no allowed_cidrs at all.
  api_listener_allowed_cidrs = (local.lb_is_ovn
    ? null
  : distinct(concat(var.admin_cidrs, [var.node_cidr], local.external_network_cidrs)))
}

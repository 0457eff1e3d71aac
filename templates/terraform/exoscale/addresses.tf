# The address plan of the managed private network on node_cidr. Only locals, so the tests can
# evaluate it with terraform console and no provider. src/config/exoscale-network.ts computes the
# same plan and refuses a cluster.yaml whose workers do not fit.
#
#   host 1-9      left alone
#   host 10-14    control planes, static leases: cp-N has host 9 + N (N is 1 to 5)
#   host 16-      workers, static leases, up to the dynamic range
#   last quarter  the dynamic DHCP range (start_ip/end_ip), broadcast address excluded
#
# exoscale_private_network documents start_ip/end_ip as the range "used by the DHCP service for
# dynamic leases" and netmask as "the IPv4 network allowed for static leases"
# (exoscale/terraform-provider-exoscale v0.70.0, docs/resources/private_network.md), so the static
# blocks stay out of the dynamic range. The plan depends on node_cidr only: add-workers and
# remove-workers never change the network.

locals {
  node_cidr_size           = pow(2, 32 - tonumber(split("/", var.node_cidr)[1]))
  first_control_plane_host = 10
  first_worker_host        = 16
  dynamic_first_host       = local.node_cidr_size / 4 * 3
  dynamic_last_host        = local.node_cidr_size - 2
  worker_capacity          = max(0, local.dynamic_first_host - local.first_worker_host)

  # By node number (control-plane-numbers.tf): a control plane keeps its address whichever others
  # are removed or added.
  control_plane_private_ips = { for key in local.control_plane_keys : key => cidrhost(var.node_cidr, local.first_control_plane_host + tonumber(key) - 1) }
  worker_private_ips        = [for i in range(var.worker_count) : cidrhost(var.node_cidr, local.first_worker_host + i)]
}

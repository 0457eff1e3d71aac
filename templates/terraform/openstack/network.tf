# A tenant network on node_cidr routed to the external network; every node has a port with a
# fixed address and a floating IP for SSH from admin_cidrs.

data "openstack_networking_network_v2" "external" {
  name     = var.external_network
  external = true
}

# The external network's IPv4 subnets: floating IPs and the router's gateway IP come from them
# (api-lb-settings.tf admits them on the API listener). Projects may read them: Neutron's
# get_subnet policy allows rule:external_network (openstack/neutron
# neutron/conf/policies/subnet.py). Data sources: docs/data-sources/networking_subnet_ids_v2.md
# (network_id, ip_version, ids) and networking_subnet_v2.md (subnet_id, cidr).
data "openstack_networking_subnet_ids_v2" "external" {
  network_id = data.openstack_networking_network_v2.external.id
  ip_version = 4
}

data "openstack_networking_subnet_v2" "external" {
  for_each = toset(data.openstack_networking_subnet_ids_v2.external.ids)

  subnet_id = each.value
}

locals {
  external_network_cidrs = sort([for subnet in data.openstack_networking_subnet_v2.external : subnet.cidr])
}

resource "openstack_networking_network_v2" "nodes" {
  name           = var.cluster_name
  admin_state_up = true
}

resource "openstack_networking_subnet_v2" "nodes" {
  name       = var.cluster_name
  network_id = openstack_networking_network_v2.nodes.id
  cidr       = var.node_cidr
  ip_version = 4
  # Without them, instances get no resolver on clouds whose DHCP hands out none (Neutron's
  # dnsmasq_local_resolv = False, ML2/OVN with an empty [ovn] dns_servers).
  dns_nameservers = var.dns_nameservers
}

resource "openstack_networking_router_v2" "cluster" {
  name                = var.cluster_name
  admin_state_up      = true
  external_network_id = data.openstack_networking_network_v2.external.id
}

resource "openstack_networking_router_interface_v2" "nodes" {
  router_id = openstack_networking_router_v2.cluster.id
  subnet_id = openstack_networking_subnet_v2.nodes.id
}

resource "openstack_compute_keypair_v2" "cluster" {
  name       = var.cluster_name
  public_key = var.ssh_public_key
}

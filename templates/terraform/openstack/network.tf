# A tenant network on node_cidr routed to the external network; every node has a port with a
# fixed address and a floating IP for SSH from admin_cidrs.

data "openstack_networking_network_v2" "external" {
  name     = var.external_network
  external = true
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

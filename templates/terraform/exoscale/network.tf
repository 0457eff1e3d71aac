# A managed private network on node_cidr: control planes get fixed leases (.10, .11, ...),
# workers get DHCP leases from the rest of the range.

locals {
  control_plane_private_ips = [for i in range(var.control_plane_count) : cidrhost(var.node_cidr, 10 + i)]
  user_data                 = file("${path.module}/privnet.cloud-init.yaml")
}

resource "exoscale_private_network" "nodes" {
  zone        = var.zone
  name        = var.cluster_name
  description = "Node network of ${var.cluster_name}"
  netmask     = cidrnetmask(var.node_cidr)
  start_ip    = cidrhost(var.node_cidr, 10)
  end_ip      = cidrhost(var.node_cidr, -2)
}

resource "exoscale_ssh_key" "cluster" {
  name       = var.cluster_name
  public_key = var.ssh_public_key
}

# A managed private network on node_cidr; every node has a static lease (addresses.tf), so the
# node IP of every node is its private address.

resource "exoscale_private_network" "nodes" {
  zone        = var.zone
  name        = var.cluster_name
  description = "Node network of ${var.cluster_name}"
  netmask     = cidrnetmask(var.node_cidr)
  start_ip    = cidrhost(var.node_cidr, local.dynamic_first_host)
  end_ip      = cidrhost(var.node_cidr, local.dynamic_last_host)

  lifecycle {
    precondition {
      condition     = local.dynamic_first_host > local.first_control_plane_host + 4 && alltrue([for n in local.control_plane_numbers : n <= 5])
      error_message = "node_cidr must be a /27 or larger, with control planes cp-1 to cp-5 only: control planes take hosts 10-14 and the last quarter is the dynamic DHCP range."
    }
  }
}

# SSH keys are organisation-wide on Exoscale: the zone keeps same-named clusters of two zones apart.
resource "exoscale_ssh_key" "cluster" {
  name       = "${var.cluster_name}-${var.zone}"
  public_key = var.ssh_public_key

  # Renaming forces a new key, and a new key forces new instances (ssh_keys): an older cluster keeps its name.
  lifecycle {
    ignore_changes = [name]
  }
}

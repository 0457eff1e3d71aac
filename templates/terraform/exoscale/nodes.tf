# Control planes and workers are individual instances with fixed names and static leases on the
# private network, as on AWS and OpenStack: Terraform knows every address, every node's node IP is
# its private address, and worker_count shrinks from the highest index, so remove-workers knows
# which machine goes (src/workflows/workers/plan.ts). No instance pool: the provider reports no
# private lease of pool members, and scaling a pool down lets Exoscale pick the member.

locals {
  # Node scripts and units are real files (shellcheck-checked), embedded by the cloud-init template.
  cloud_init_files = {
    privnet_script = file("${path.module}/privnet-up.sh")
    hairpin_script = file("${path.module}/api-hairpin.sh")
    hairpin_unit   = file("${path.module}/k8sb-api-hairpin.service")
  }
  worker_user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", merge(local.cloud_init_files, { api_address = null, node_address = null }))
}

# Anti-affinity groups are organisation-wide: the zone keeps same-named clusters apart.
resource "exoscale_anti_affinity_group" "control_plane" {
  name        = "${var.cluster_name}-${var.zone}-control-plane"
  description = "Spreads the control planes of ${var.cluster_name} (${var.zone}) over hypervisors"

  # Both force a new group, and a new group new control planes: an older cluster keeps its own.
  lifecycle {
    ignore_changes = [name, description]
  }
}

# Keyed by node number (control-plane-numbers.tf), so any one control plane can be removed alone.
resource "exoscale_compute_instance" "control_plane" {
  for_each = local.control_plane_keys

  zone                    = var.zone
  name                    = "${var.cluster_name}-cp-${each.key}"
  template_id             = var.image_id
  type                    = var.control_plane_type
  disk_size               = var.control_plane_disk_gb
  ssh_keys                = [exoscale_ssh_key.cluster.name]
  security_group_ids      = [exoscale_security_group.nodes.id, exoscale_security_group.control_plane.id]
  anti_affinity_group_ids = [exoscale_anti_affinity_group.control_plane.id]
  elastic_ip_ids          = [exoscale_elastic_ip.api.id]
  # Control planes also get the API hairpin redirection (api-endpoint.tf).
  user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", merge(local.cloud_init_files, {
    api_address  = exoscale_elastic_ip.api.ip_address
    node_address = local.control_plane_private_ips[each.key]
  }))

  network_interface {
    network_id = exoscale_private_network.nodes.id
    ip_address = local.control_plane_private_ips[each.key]
  }

  lifecycle {
    # A newer image must not replace running control planes; upgrades go through kubeadm.
    ignore_changes = [template_id]
  }
}

resource "exoscale_compute_instance" "worker" {
  count = var.worker_count

  zone               = var.zone
  name               = "${var.cluster_name}-worker-${count.index + 1}"
  template_id        = var.image_id
  type               = var.worker_type
  disk_size          = var.worker_disk_gb
  ssh_keys           = [exoscale_ssh_key.cluster.name]
  security_group_ids = [exoscale_security_group.nodes.id, exoscale_security_group.workers.id]
  user_data          = local.worker_user_data

  network_interface {
    network_id = exoscale_private_network.nodes.id
    ip_address = local.worker_private_ips[count.index]
  }

  lifecycle {
    # New workers take the current image; running ones are not replaced for it.
    ignore_changes = [template_id]

    precondition {
      condition     = var.worker_count <= local.worker_capacity
      error_message = "node_cidr has room for ${local.worker_capacity} workers with static leases (hosts 16 up to the dynamic DHCP range in its last quarter); use a larger network.nodeCidr or fewer workers."
    }
  }
}

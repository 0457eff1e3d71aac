# Control planes are individual instances (fixed names and private addresses, spread by an
# anti-affinity group). Workers are an instance pool whose size is worker_count, so the pool can
# grow (add-workers, or the cluster autoscaler later).

resource "exoscale_anti_affinity_group" "control_plane" {
  name        = "${var.cluster_name}-control-plane"
  description = "Spreads the control planes of ${var.cluster_name} over hypervisors"
}

resource "exoscale_compute_instance" "control_plane" {
  count = var.control_plane_count

  zone                    = var.zone
  name                    = "${var.cluster_name}-cp-${count.index + 1}"
  template_id             = var.image_id
  type                    = var.control_plane_type
  disk_size               = var.control_plane_disk_gb
  ssh_keys                = [exoscale_ssh_key.cluster.name]
  security_group_ids      = [exoscale_security_group.nodes.id, exoscale_security_group.control_plane.id]
  anti_affinity_group_ids = [exoscale_anti_affinity_group.control_plane.id]
  elastic_ip_ids          = [exoscale_elastic_ip.api.id]
  user_data               = local.user_data

  network_interface {
    network_id = exoscale_private_network.nodes.id
    ip_address = local.control_plane_private_ips[count.index]
  }

  lifecycle {
    # A newer image must not replace running control planes; upgrades go through kubeadm.
    ignore_changes = [template_id]
  }
}

resource "exoscale_instance_pool" "workers" {
  # A pool cannot be empty; without workers there is no pool.
  count = var.worker_count > 0 ? 1 : 0

  zone               = var.zone
  name               = "${var.cluster_name}-workers"
  description        = "Workers of ${var.cluster_name}"
  size               = var.worker_count
  template_id        = var.image_id
  instance_type      = var.worker_type
  disk_size          = var.worker_disk_gb
  key_pair           = exoscale_ssh_key.cluster.name
  security_group_ids = [exoscale_security_group.nodes.id, exoscale_security_group.workers.id]
  network_ids        = [exoscale_private_network.nodes.id]
  instance_prefix    = "${var.cluster_name}-worker"
  user_data          = local.user_data

  # Control planes take their fixed leases first, so DHCP never hands those addresses out.
  depends_on = [exoscale_compute_instance.control_plane]
}

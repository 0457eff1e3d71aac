# Control planes (in an anti-affinity server group) and workers, each on its own port so the
# address is fixed before the server boots and a floating IP can be attached to it.

resource "openstack_compute_servergroup_v2" "control_plane" {
  name     = "${var.cluster_name}-control-plane"
  policies = [var.server_group_policy]
}

# Control-plane ports, instances and floating IPs are keyed by node number
# (control-plane-numbers.tf), so any one control plane can be removed alone; workers by index.
resource "openstack_networking_port_v2" "control_plane" {
  for_each = local.control_plane_keys

  name               = "${var.cluster_name}-cp-${each.key}"
  network_id         = openstack_networking_network_v2.nodes.id
  security_group_ids = [openstack_networking_secgroup_v2.nodes.id, openstack_networking_secgroup_v2.control_plane.id]

  fixed_ip {
    subnet_id = openstack_networking_subnet_v2.nodes.id
  }

  dynamic "allowed_address_pairs" {
    for_each = var.pod_cidr == null ? [] : [var.pod_cidr]
    content {
      ip_address = allowed_address_pairs.value
    }
  }
}

resource "openstack_networking_port_v2" "worker" {
  count = var.worker_count

  name               = "${var.cluster_name}-worker-${count.index + 1}"
  network_id         = openstack_networking_network_v2.nodes.id
  security_group_ids = [openstack_networking_secgroup_v2.nodes.id, openstack_networking_secgroup_v2.workers.id]

  fixed_ip {
    subnet_id = openstack_networking_subnet_v2.nodes.id
  }

  dynamic "allowed_address_pairs" {
    for_each = var.pod_cidr == null ? [] : [var.pod_cidr]
    content {
      ip_address = allowed_address_pairs.value
    }
  }
}

resource "openstack_compute_instance_v2" "control_plane" {
  for_each = local.control_plane_keys

  name        = "${var.cluster_name}-cp-${each.key}"
  flavor_name = var.control_plane_type
  key_pair    = openstack_compute_keypair_v2.cluster.name

  # Boot from a volume so the root disk has the size of the spec, whatever the flavor's disk.
  block_device {
    uuid                  = var.image_id
    source_type           = "image"
    destination_type      = "volume"
    volume_size           = var.control_plane_disk_gb
    boot_index            = 0
    delete_on_termination = true
  }

  network {
    port = openstack_networking_port_v2.control_plane[each.key].id
  }

  scheduler_hints {
    group = openstack_compute_servergroup_v2.control_plane.id
  }

  lifecycle {
    ignore_changes = [block_device]
  }
}

resource "openstack_compute_instance_v2" "worker" {
  count = var.worker_count

  name        = "${var.cluster_name}-worker-${count.index + 1}"
  flavor_name = var.worker_type
  key_pair    = openstack_compute_keypair_v2.cluster.name

  block_device {
    uuid                  = var.image_id
    source_type           = "image"
    destination_type      = "volume"
    volume_size           = var.worker_disk_gb
    boot_index            = 0
    delete_on_termination = true
  }

  network {
    port = openstack_networking_port_v2.worker[count.index].id
  }

  lifecycle {
    ignore_changes = [block_device]
  }
}

resource "openstack_networking_floatingip_v2" "control_plane" {
  for_each = local.control_plane_keys

  pool    = var.external_network
  port_id = openstack_networking_port_v2.control_plane[each.key].id

  depends_on = [openstack_networking_router_interface_v2.nodes]
}

resource "openstack_networking_floatingip_v2" "worker" {
  count = var.worker_count

  pool    = var.external_network
  port_id = openstack_networking_port_v2.worker[count.index].id

  depends_on = [openstack_networking_router_interface_v2.nodes]
}

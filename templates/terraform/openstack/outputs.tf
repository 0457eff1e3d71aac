# The Provider -> Inventory contract (src/providers/inventory.ts).

output "api_endpoint" {
  description = "host:port for kubeadm's controlPlaneEndpoint: the load balancer's floating IP."
  value       = "${openstack_networking_floatingip_v2.api.address}:6443"
}

output "ssh_user" {
  value = var.ssh_user
}

output "bastion" {
  description = "Nodes have floating IPs reachable from admin_cidrs, so no bastion."
  value       = null
}

output "control_plane" {
  value = [for i, node in openstack_compute_instance_v2.control_plane : {
    name       = node.name
    public_ip  = openstack_networking_floatingip_v2.control_plane[i].address
    private_ip = openstack_networking_port_v2.control_plane[i].all_fixed_ips[0]
  }]
}

output "workers" {
  value = [for i, node in openstack_compute_instance_v2.worker : {
    name       = node.name
    public_ip  = openstack_networking_floatingip_v2.worker[i].address
    private_ip = openstack_networking_port_v2.worker[i].all_fixed_ips[0]
  }]
}

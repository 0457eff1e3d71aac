# The Provider -> Inventory contract (src/providers/inventory.ts).

output "api_endpoint" {
  description = "host:port for kubeadm's controlPlaneEndpoint: the managed Elastic IP."
  value       = "${exoscale_elastic_ip.api.ip_address}:6443"
}

output "ssh_user" {
  value = var.ssh_user
}

output "bastion" {
  description = "Nodes have public addresses reachable from admin_cidrs, so no bastion."
  value       = null
}

output "control_plane" {
  value = [for i, node in exoscale_compute_instance.control_plane : {
    name       = node.name
    public_ip  = node.public_ip_address
    private_ip = local.control_plane_private_ips[i]
  }]
}

# The provider does not report the private-network leases of pool members, so workers carry
# their public address as private_ip: their node traffic goes over the public interface, where
# the nodes security group allows it from other nodes only (see README, Exoscale).
output "workers" {
  value = [for node in values({ for member in flatten(exoscale_instance_pool.workers[*].instances) : member.name => member }) : {
    name       = node.name
    public_ip  = node.public_ip_address
    private_ip = node.public_ip_address
  }]
}

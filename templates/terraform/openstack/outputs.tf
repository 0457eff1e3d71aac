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

# In ascending order of the node numbers (control-plane-numbers.tf), not of the keys' text.
output "control_plane" {
  value = [for key in [for n in local.control_plane_numbers : tostring(n)] : {
    name       = openstack_compute_instance_v2.control_plane[key].name
    public_ip  = openstack_networking_floatingip_v2.control_plane[key].address
    private_ip = openstack_networking_port_v2.control_plane[key].all_fixed_ips[0]
  }]

  precondition {
    condition     = local.control_plane_numbers_fit
    error_message = local.control_plane_numbers_error
  }
}

output "workers" {
  value = [for i, node in openstack_compute_instance_v2.worker : {
    name       = node.name
    public_ip  = openstack_networking_floatingip_v2.worker[i].address
    private_ip = openstack_networking_port_v2.worker[i].all_fixed_ips[0]
  }]
}

# Not part of the inventory: the application credential of the cloud controller manager and
# Cinder CSI (application-credential.tf), read by src/providers/cloud-credentials.ts and put into
# the cluster's cloud-config Secret. Sensitive, so Terraform never prints them; null while
# cloudIntegration is off.
output "application_credential_id" {
  value     = one(openstack_identity_application_credential_v3.cloud_controllers[*].id)
  sensitive = true
}

output "application_credential_secret" {
  value     = one(openstack_identity_application_credential_v3.cloud_controllers[*].secret)
  sensitive = true
}

output "auth_url" {
  description = "Keystone URL written to the cluster's cloud.conf."
  value       = var.cloud_ccm || var.cloud_csi ? local.auth_url : null
}

# Not secret: where the OpenStack CCM puts LoadBalancer Services. cloud.conf's [LoadBalancer]
# floating-network-id (required when the cloud has several external networks) and subnet-id (the
# VIPs' subnet): cloud-provider-openstack docs/openstack-cloud-controller-manager/
# using-openstack-cloud-controller-manager.md, "Load Balancer".
output "floating_network_id" {
  value = data.openstack_networking_network_v2.external.id
}

output "subnet_id" {
  value = openstack_networking_subnet_v2.nodes.id
}

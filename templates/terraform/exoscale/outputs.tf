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

# In ascending order of the node numbers (control-plane-numbers.tf), not of the keys' text.
output "control_plane" {
  value = [for key in [for n in local.control_plane_numbers : tostring(n)] : {
    name       = exoscale_compute_instance.control_plane[key].name
    public_ip  = exoscale_compute_instance.control_plane[key].public_ip_address
    private_ip = local.control_plane_private_ips[key]
  }]

  precondition {
    condition     = local.control_plane_numbers_fit
    error_message = local.control_plane_numbers_error
  }
}

# In index order: the last is the one a smaller worker_count destroys.
output "workers" {
  value = [for i, node in exoscale_compute_instance.worker : {
    name       = node.name
    public_ip  = node.public_ip_address
    private_ip = local.worker_private_ips[i]
  }]
}

# Not part of the inventory: the restricted key of the cloud controller manager and CSI driver
# (iam.tf), read by src/providers/cloud-credentials.ts and put into the cluster's Secrets.
# Sensitive, so Terraform never prints them; null while cloudIntegration is off.
output "ccm_api_key" {
  value     = one(exoscale_iam_api_key.cloud_controllers[*].key)
  sensitive = true
}

output "ccm_api_secret" {
  value     = one(exoscale_iam_api_key.cloud_controllers[*].secret)
  sensitive = true
}

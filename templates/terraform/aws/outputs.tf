# The Provider -> Inventory contract (src/providers/inventory.ts).

output "api_endpoint" {
  description = "host:port for kubeadm's controlPlaneEndpoint: the network load balancer."
  value       = "${aws_lb.api.dns_name}:6443"
}

output "ssh_user" {
  value = var.ssh_user
}

output "bastion" {
  description = "Nodes have public addresses reachable from admin_cidrs, so no bastion."
  value       = null
}

# instance_id and availability_zone give each node its providerID, aws:///<az>/<instance-id>
# (src/providers/aws.ts): kubelet registers with it and the CCM finds the instance by it.
# In ascending order of the node numbers (control-plane-numbers.tf), not of the keys' text.
output "control_plane" {
  value = [for node in [for n in local.control_plane_numbers : aws_instance.control_plane[tostring(n)]] : {
    name              = node.tags["Name"]
    public_ip         = node.public_ip
    private_ip        = node.private_ip
    instance_id       = node.id
    availability_zone = node.availability_zone
  }]

  precondition {
    condition     = local.control_plane_numbers_fit
    error_message = local.control_plane_numbers_error
  }
}

output "workers" {
  value = [for node in aws_instance.worker : {
    name              = node.tags["Name"]
    public_ip         = node.public_ip
    private_ip        = node.private_ip
    instance_id       = node.id
    availability_zone = node.availability_zone
  }]
}

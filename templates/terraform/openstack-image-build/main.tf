# TEMPORARY: what the Packer build instance needs before the cluster network exists. The
# openstack Packer builder only passes on the security_groups and networks it is given
# (hashicorp/packer-plugin-openstack v1.1.4, builder/openstack/run_config.go), so without them
# Nova attaches the project's "default" group, which admits no SSH from outside, and fails with
# "Multiple possible networks found" in projects with several networks. k8s-bootstrap applies
# this module before `packer build` and destroys it afterwards (src/providers/image-build.ts).

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    openstack = {
      source = "terraform-provider-openstack/openstack"
      # The same constraint as the cluster module (templates/terraform/openstack/versions.tf).
      version = ">= 3.0, < 4.0"
    }
  }
}

# Credentials come from the environment only: OS_CLOUD (clouds.yaml) or the OS_* variables.
provider "openstack" {
  region = var.region
}

variable "cluster_name" {
  description = "Prefix of the names of everything made here."
  type        = string
}

variable "region" {
  description = "OpenStack region, the cluster's."
  type        = string
}

variable "admin_cidrs" {
  description = "Where Packer connects from: ssh.adminCidrs."
  type        = list(string)
}

variable "external_network" {
  description = "External network the router uses and Packer takes the floating IP from."
  type        = string
}

variable "create_network" {
  description = "False when the spec names the build networks (provider.imageBuild.networks)."
  type        = bool
  default     = true
}

variable "build_cidr" {
  description = "Subnet of the build network; behind its own router, so it clashes with nothing."
  type        = string
  default     = "10.254.0.0/24"
}

variable "dns_nameservers" {
  description = "Resolvers of the build subnet: provider.dnsNameservers, else the cluster module's default."
  type        = list(string)
  default     = ["1.1.1.1", "9.9.9.9"]
}

# Neutron puts its default egress rules (all IPv4/IPv6) into a new group; they stay, so the
# build reaches the package mirrors.
resource "openstack_networking_secgroup_v2" "build" {
  name        = "${var.cluster_name}-image-build"
  description = "Temporary: SSH to the Packer build instance of ${var.cluster_name}"
}

resource "openstack_networking_secgroup_rule_v2" "ssh" {
  for_each = toset(var.admin_cidrs)

  security_group_id = openstack_networking_secgroup_v2.build.id
  description       = "SSH from an admin network (Packer)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = each.value
}

data "openstack_networking_network_v2" "external" {
  count = var.create_network ? 1 : 0

  name     = var.external_network
  external = true
}

resource "openstack_networking_network_v2" "build" {
  count = var.create_network ? 1 : 0

  name           = "${var.cluster_name}-image-build"
  admin_state_up = true
}

resource "openstack_networking_subnet_v2" "build" {
  count = var.create_network ? 1 : 0

  name            = "${var.cluster_name}-image-build"
  network_id      = openstack_networking_network_v2.build[0].id
  cidr            = var.build_cidr
  ip_version      = 4
  dns_nameservers = var.dns_nameservers
}

# Routed to the external network, so the floating IP Packer associates reaches the instance.
resource "openstack_networking_router_v2" "build" {
  count = var.create_network ? 1 : 0

  name                = "${var.cluster_name}-image-build"
  admin_state_up      = true
  external_network_id = data.openstack_networking_network_v2.external[0].id
}

resource "openstack_networking_router_interface_v2" "build" {
  count = var.create_network ? 1 : 0

  router_id = openstack_networking_router_v2.build[0].id
  subnet_id = openstack_networking_subnet_v2.build[0].id
}

output "security_group_names" {
  description = "For the openstack builder's security_groups (names)."
  value       = [openstack_networking_secgroup_v2.build.name]
}

output "network_ids" {
  description = "For the openstack builder's networks (UUIDs); empty when the spec names them."
  value       = openstack_networking_network_v2.build[*].id
}

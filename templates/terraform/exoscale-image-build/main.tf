# TEMPORARY: what the Packer build instance needs and Exoscale does not give it. The exoscale
# Packer builder puts the instance in the "default" security group unless told otherwise, and
# creates no group of its own (exoscale/packer-plugin-exoscale v0.5.2, builder/exoscale/config.go
# defaultInstanceSecurityGroup; docs/builders/exoscale.md: "the Security Groups need to allow
# Ingress on port 22, or the Packer build will fail"). k8s-bootstrap applies this module before
# `packer build` and destroys it afterwards (src/providers/image-build.ts).

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    exoscale = {
      source = "exoscale/exoscale"
      # The same constraint as the cluster module (templates/terraform/exoscale/versions.tf).
      version = "~> 0.70"
    }
  }
}

# Credentials come from EXOSCALE_API_KEY / EXOSCALE_API_SECRET in the environment only.
provider "exoscale" {
  timeout = 600
}

variable "cluster_name" {
  description = "Names the group; Exoscale security groups are organisation-wide."
  type        = string
}

variable "zone" {
  description = "Also in the group's name, as the cluster's groups have it (two zones, one cluster name)."
  type        = string
}

variable "admin_cidrs" {
  description = "Where Packer connects from: ssh.adminCidrs."
  type        = list(string)
}

# No egress rules: a group without any lets all egress through (apt, pkgs.k8s.io, images).
resource "exoscale_security_group" "build" {
  name        = "${var.cluster_name}-${var.zone}-image-build"
  description = "Temporary: SSH to the Packer build instance of ${var.cluster_name}"
}

resource "exoscale_security_group_rule" "ssh" {
  for_each = toset(var.admin_cidrs)

  security_group_id = exoscale_security_group.build.id
  description       = "SSH from an admin network (Packer)"
  type              = "INGRESS"
  protocol          = "TCP"
  start_port        = 22
  end_port          = 22
  cidr              = each.value
}

output "security_group_names" {
  description = "For the exoscale builder's instance_security_groups (names)."
  value       = [exoscale_security_group.build.name]
}

output "network_ids" {
  description = "Exoscale build instances have a public address; no network is made."
  value       = []
}

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    openstack = {
      source = "terraform-provider-openstack/openstack"
      # 3.0 removed the deprecated nova-network, LBaaS v1 and FWaaS v1 resources; none is used.
      version = ">= 3.0, < 4.0"
    }
  }
}

# Credentials come from the environment only: OS_CLOUD (clouds.yaml) or the OS_* variables.
provider "openstack" {
  region = var.region
}

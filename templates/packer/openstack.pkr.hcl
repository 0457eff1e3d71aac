# Node image for OpenStack: a Glance image with kubeadm, kubelet, kubectl and the container
# runtime baked in by templates/scripts/prepare-node.sh.
# Variables come from the JSON file k8s-bootstrap writes (packer build -var-file=variables.pkrvars.json).
# Credentials: the openstack builder reads OS_* (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
# OS_APPLICATION_CREDENTIAL_ID/SECRET, ...) or clouds.yaml via OS_CLOUD from the environment itself.

packer {
  required_plugins {
    openstack = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/openstack"
    }
  }
}

variable "cloud" {
  type        = string
  description = "Entry of clouds.yaml (empty: plain OS_* variables)."
  default     = env("OS_CLOUD")
}

variable "region" {
  type    = string
  default = env("OS_REGION_NAME")
}

variable "base_image" {
  type        = string
  description = "Glance image the build instance boots from."
  default     = "Ubuntu 24.04"
}

variable "instance_type" {
  type        = string
  description = "Flavor of the build instance."
  default     = "m1.medium"
}

variable "networks" {
  type        = list(string)
  description = "Network UUIDs for the build instance (empty: the project's default network)."
  default     = []
}

variable "floating_ip_network" {
  type        = string
  description = "External network to take a floating IP from, so Packer can reach the instance."
  default     = "public"
}

variable "image_name" {
  type        = string
  description = "Name of the image to create."
}

variable "kubernetes_version" {
  type = string
}

variable "kubernetes_minor" {
  type = string
}

variable "runtime" {
  type    = string
  default = "containerd"
}

variable "pull_images" {
  type    = string
  default = "1"
}

variable "prepare_script" {
  type        = string
  description = "Path of prepare-node.sh."
  default     = "prepare-node.sh"
}

source "openstack" "node" {
  cloud               = var.cloud
  region              = var.region
  source_image_name   = var.base_image
  flavor              = var.instance_type
  networks            = var.networks
  floating_ip_network = var.floating_ip_network
  image_name          = var.image_name
  ssh_username        = "ubuntu"
  metadata = {
    k8s_bootstrap_kubernetes = var.kubernetes_version
    k8s_bootstrap_runtime    = var.runtime
  }
}

build {
  sources = ["source.openstack.node"]

  # First boot: let cloud-init finish so that apt is not locked by it.
  provisioner "shell" {
    inline = ["cloud-init status --wait || true"]
  }

  # The shared node preparation. Values are single-quoted by Packer in {{ .Vars }}.
  provisioner "shell" {
    script          = var.prepare_script
    execute_command = "sudo -n env {{ .Vars }} bash '{{ .Path }}'"
    environment_vars = [
      "K8S_VERSION=${var.kubernetes_version}",
      "K8S_MINOR=${var.kubernetes_minor}",
      "RUNTIME=${var.runtime}",
      "PULL_IMAGES=${var.pull_images}",
    ]
  }

  # Every instance made from the image must get its own machine-id and run cloud-init again.
  provisioner "shell" {
    inline = ["sudo -n cloud-init clean --logs --machine-id"]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      kubernetes_version = var.kubernetes_version
      runtime            = var.runtime
    }
  }
}

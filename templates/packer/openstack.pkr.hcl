# Node image for OpenStack: a Glance image with kubeadm, kubelet, kubectl and the container
# runtime baked in by templates/scripts/prepare-node.sh.
# Variables come from the JSON file k8s-bootstrap writes (packer build -var-file=variables.pkrvars.json).
# Credentials: the openstack builder reads OS_* (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
# OS_APPLICATION_CREDENTIAL_ID/SECRET, ...) or clouds.yaml via OS_CLOUD from the environment itself.

packer {
  required_plugins {
    openstack = {
      # Latest release v1.1.4 (hashicorp/packer-plugin-openstack tags); any 1.x from 1.1 on.
      version = "~> 1.1"
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
  type        = string
  description = "OpenStack region; empty: the clouds.yaml entry's region (builder/openstack/access_config.go)."
  default     = env("OS_REGION_NAME")
}

variable "base_image" {
  type        = string
  description = "Name of the Glance image the build instance boots from; the newest of that name."
  default     = "Ubuntu 24.04"
}

variable "instance_type" {
  type        = string
  description = "Flavor of the build instance."
  default     = "m1.medium"
}

variable "networks" {
  type        = list(string)
  description = "Network UUIDs of the build instance: provider.imageBuild.networks or the image-build module's."
  default     = []
}

variable "security_groups" {
  type        = list(string)
  description = "Security groups (names) of the build instance; they must admit SSH from here."
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
  flavor              = var.instance_type
  networks            = var.networks
  security_groups     = var.security_groups
  floating_ip_network = var.floating_ip_network
  image_name          = var.image_name
  ssh_username        = "ubuntu"

  # By name, the newest: clouds that keep several images of one name (daily builds) otherwise
  # fail with "more than one result" (builder/openstack/run_config.go, ImageFilter.MostRecent).
  source_image_filter {
    filters {
      name = var.base_image
    }
    most_recent = true
  }

  # Packer's throw-away key must not stay in ~ubuntu/.ssh/authorized_keys of every node.
  ssh_clear_authorized_keys = true

  metadata = {
    k8s_bootstrap_kubernetes = var.kubernetes_version
    k8s_bootstrap_runtime    = var.runtime
  }
}

build {
  # This block is the same in all three templates except for `sources`, and
  # test/e2e/tools/packer/templates.test.ts keeps it so. It cannot live in one shared file: Packer HCL has
  # no include, and `sources` must name sources by their literal type (amazon-ebs, exoscale,
  # openstack) from the files Packer loads, so one block for the three clouds would need every
  # cloud's source, variables and plugin in every build.
  sources = ["source.openstack.node"]

  # First boot: let cloud-init finish so that apt is not locked by it. Every apt call of the
  # build is in prepare-node.sh, which also waits for the dpkg lock (DPkg::Lock::Timeout) and
  # retries a locked `apt-get update`, as unattended-upgrades may start at any time.
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

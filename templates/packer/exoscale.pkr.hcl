# Node image for Exoscale: a private template with kubeadm, kubelet, kubectl and the container
# runtime baked in by templates/scripts/prepare-node.sh.
# Variables come from the JSON file k8s-bootstrap writes (packer build -var-file=variables.pkrvars.json);
# credentials only from the environment, never from that file.

packer {
  required_plugins {
    exoscale = {
      # Latest release v0.5.2 (exoscale/packer-plugin-exoscale tags); 0.x may break in a minor.
      version = "~> 0.5.2"
      source  = "github.com/exoscale/exoscale"
    }
  }
}

variable "api_key" {
  type      = string
  default   = env("EXOSCALE_API_KEY")
  sensitive = true
}

variable "api_secret" {
  type      = string
  default   = env("EXOSCALE_API_SECRET")
  sensitive = true
}

variable "zone" {
  type    = string
  default = "ch-gva-2"
}

variable "base_image" {
  type        = string
  description = "Public template the build instance starts from."
  default     = "Linux Ubuntu 24.04 LTS 64-bit"
}

variable "instance_type" {
  type    = string
  default = "standard.medium"
}

variable "image_name" {
  type        = string
  description = "Name of the template to register."
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

variable "security_groups" {
  type        = list(string)
  description = "Security groups (names) of the build instance; they must admit SSH from here."
  default     = []
}

variable "prepare_script" {
  type        = string
  description = "Path of prepare-node.sh."
  default     = "prepare-node.sh"
}

source "exoscale" "node" {
  api_key            = var.api_key
  api_secret         = var.api_secret
  instance_template  = var.base_image
  instance_type      = var.instance_type
  instance_disk_size = 20
  template_zones     = [var.zone]
  template_name      = var.image_name
  template_username  = "ubuntu"
  ssh_username       = "ubuntu"

  # The image-build module's group (templates/terraform/exoscale-image-build): without one the
  # instance is in "default", which admits no SSH (builder/exoscale/config.go).
  instance_security_groups = var.security_groups

  # No per-instance password: with one, cloud-init's Exoscale datasource turns on SSH password
  # logins on every node (builder/exoscale/step_register_template.go sets
  # PasswordEnabled = !TemplateDisablePassword; canonical/cloud-init DataSourceExoscale.py).
  template_disable_password = true

  # Packer's throw-away key must not stay in ~ubuntu/.ssh/authorized_keys of every node.
  ssh_clear_authorized_keys = true
}

build {
  # This block is the same in all three templates except for `sources`, and
  # test/e2e/tools/packer/templates.test.ts keeps it so. It cannot live in one shared file: Packer HCL has
  # no include, and `sources` must name sources by their literal type (amazon-ebs, exoscale,
  # openstack) from the files Packer loads, so one block for the three clouds would need every
  # cloud's source, variables and plugin in every build.
  sources = ["source.exoscale.node"]

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

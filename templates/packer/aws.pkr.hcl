# Node image for AWS: an EBS-backed AMI with kubeadm, kubelet, kubectl and the container runtime
# baked in by templates/scripts/prepare-node.sh.
# Variables come from the JSON file k8s-bootstrap writes (packer build -var-file=variables.pkrvars.json).
# Credentials: the AWS SDK chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
# AWS_PROFILE, SSO, instance roles); nothing is set here, so nothing can leak into a file.

packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "region" {
  type    = string
  default = env("AWS_REGION")
}

variable "base_image" {
  type        = string
  description = "AMI name pattern of the Canonical image the build starts from."
  default     = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
}

variable "instance_type" {
  type    = string
  default = "t3.medium"
}

variable "image_name" {
  type        = string
  description = "AMI name prefix; a timestamp is appended because AMI names are unique per region."
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

locals {
  timestamp = regex_replace(timestamp(), "[- TZ:]", "")
}

source "amazon-ebs" "node" {
  region        = var.region
  instance_type = var.instance_type
  ssh_username  = "ubuntu"
  ami_name      = "${var.image_name}-${local.timestamp}"
  imds_support  = "v2.0"

  source_ami_filter {
    filters = {
      name                = var.base_image
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }

  tags = {
    Name                 = var.image_name
    "k8s-bootstrap/k8s"  = var.kubernetes_version
    "k8s-bootstrap/cri"  = var.runtime
    "k8s-bootstrap/base" = "{{ .SourceAMIName }}"
  }
}

build {
  sources = ["source.amazon-ebs.node"]

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

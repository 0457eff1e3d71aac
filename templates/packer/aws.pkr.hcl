# Node image for AWS: an EBS-backed AMI with kubeadm, kubelet, kubectl and the container runtime
# baked in by templates/scripts/prepare-node.sh.
# Variables come from the JSON file k8s-bootstrap writes (packer build -var-file=variables.pkrvars.json).
# Credentials: the AWS SDK chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
# AWS_PROFILE, SSO, instance roles); nothing is set here, so nothing can leak into a file.

packer {
  required_plugins {
    amazon = {
      # Latest release v1.8.2 (hashicorp/packer-plugin-amazon tags); any 1.x from 1.8 on.
      version = "~> 1.8"
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

variable "subnet_id" {
  type        = string
  description = "Subnet of the build instance (provider.imageBuild.subnetId); empty: the default VPC."
  default     = ""
}

variable "vpc_id" {
  type        = string
  description = "VPC of subnet_id (provider.imageBuild.vpcId); empty: taken from the subnet."
  default     = ""
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

  # Where the build instance runs. A named subnet gets a public address, which a non-default
  # VPC does not hand out by default; without a subnet nothing is set, so the default VPC's
  # settings apply and no extra IAM permissions are needed (docs-partials/builder/common/
  # RunConfig-not-required.mdx, associate_public_ip_address).
  subnet_id                   = var.subnet_id
  vpc_id                      = var.vpc_id
  associate_public_ip_address = var.subnet_id != "" ? true : null

  # The temporary security group admits SSH only from this machine's public address (looked up
  # at https://checkip.amazonaws.com), not from 0.0.0.0/0, which is the plugin's default
  # (builder/common/run_config.go, TemporarySGSourceCidrs / TemporarySGSourcePublicIp).
  temporary_security_group_source_public_ip = true

  # Packer's throw-away key must not stay in ~ubuntu/.ssh/authorized_keys of every node.
  ssh_clear_authorized_keys = true

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
  # This block is the same in all three templates except for `sources`, and
  # test/e2e/tools/packer/templates.test.ts keeps it so. It cannot live in one shared file: Packer HCL has
  # no include, and `sources` must name sources by their literal type (amazon-ebs, exoscale,
  # openstack) from the files Packer loads, so one block for the three clouds would need every
  # cloud's source, variables and plugin in every build.
  sources = ["source.amazon-ebs.node"]

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

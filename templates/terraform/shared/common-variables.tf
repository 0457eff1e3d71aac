# Inputs every module shares; filled from terraform.tfvars.json, which k8s-bootstrap renders
# from cluster.yaml.
# Copied next to each provider's module files by k8s-bootstrap.

variable "cluster_name" {
  description = "Cluster name; prefixes every resource name."
  type        = string
}

variable "node_cidr" {
  description = "Private network of the nodes (network.nodeCidr)."
  type        = string
}

variable "admin_cidrs" {
  description = "Where SSH (22) and the Kubernetes API (6443) may be reached from."
  type        = list(string)

  validation {
    condition     = length(var.admin_cidrs) > 0
    error_message = "admin_cidrs must list at least one CIDR (ssh.adminCidrs in cluster.yaml)."
  }
}

variable "nodeport_cidrs" {
  description = "Where NodePorts 30000-32767 on workers may be reached from (firewall.nodePortCidrs); null means admin_cidrs, [] closes them."
  type        = list(string)
  default     = null

  validation {
    condition     = var.nodeport_cidrs == null ? true : alltrue([for cidr in var.nodeport_cidrs : can(cidrnetmask(cidr))])
    error_message = "nodeport_cidrs must be IPv4 CIDRs such as 198.51.100.0/24 (firewall.nodePortCidrs in cluster.yaml)."
  }
}

variable "allow_all_between_nodes" {
  description = "Allow any traffic between nodes (firewall.allowAllBetweenNodes); false keeps only the Kubernetes and CNI ports."
  type        = bool
  default     = true
}

variable "cni" {
  description = "calico, flannel or cilium: decides which ports are open between nodes."
  type        = string
  default     = "calico"

  validation {
    condition     = contains(["calico", "flannel", "cilium"], var.cni)
    error_message = "cni must be calico, flannel or cilium."
  }
}

variable "image_id" {
  description = "Node image (AMI, Exoscale template or Glance image id) built by Packer."
  type        = string
}

variable "ssh_public_key" {
  description = "OpenSSH public key authorised on every node."
  type        = string
}

variable "ssh_user" {
  description = "SSH user of the image."
  type        = string
  default     = "ubuntu"
}

variable "control_plane_count" {
  description = "Number of control planes (1, 3 or 5)."
  type        = number
  default     = 1

  validation {
    condition     = var.control_plane_count >= 1
    error_message = "control_plane_count must be at least 1."
  }
}

# Which control planes exist, by the N of their name <cluster>-cp-N. remove-control-plane takes
# one number out of the list and add-control-plane puts the lowest free one back, so any control
# plane can go without renaming or replacing the others. That the list has control_plane_count
# entries is checked by a precondition (control-plane-numbers.tf): a validation block may read a
# second variable only from Terraform 1.9 on, and the modules still run on 1.5.
variable "control_plane_numbers" {
  description = "Node numbers N of the control planes <cluster>-cp-N, control_plane_count of them; null means 1..control_plane_count."
  type        = list(number)
  default     = null

  validation {
    condition     = var.control_plane_numbers == null ? true : alltrue([for n in var.control_plane_numbers : n == floor(n) && n >= 1 && n <= 5])
    error_message = "control_plane_numbers must hold whole numbers from 1 to 5: the API load balancers and the Exoscale address plan have room for five control planes."
  }

  validation {
    condition     = var.control_plane_numbers == null ? true : length(distinct(var.control_plane_numbers)) == length(var.control_plane_numbers)
    error_message = "control_plane_numbers must not name a number twice: each one is the N of a distinct control plane <cluster>-cp-N."
  }
}

variable "worker_count" {
  description = "Number of workers."
  type        = number
  default     = 2
}

variable "control_plane_type" {
  description = "Instance type or flavor of the control planes."
  type        = string
}

variable "worker_type" {
  description = "Instance type or flavor of the workers."
  type        = string
}

variable "control_plane_disk_gb" {
  description = "Root disk of the control planes, GiB."
  type        = number
  default     = 50
}

variable "worker_disk_gb" {
  description = "Root disk of the workers, GiB."
  type        = number
  default     = 50
}

# cloudIntegration of cluster.yaml: the credentials the cloud controller manager and the CSI
# driver get (IAM roles and policies, an API key, an application credential) exist only for
# what is on, with no more rights than that part needs.
variable "cloud_ccm" {
  description = "The cloud controller manager runs (cloudIntegration.ccm)."
  type        = bool
  default     = true
}

variable "cloud_csi" {
  description = "The CSI driver runs (cloudIntegration.csi)."
  type        = bool
  default     = true
}

# cloudIntegration.credentials of cluster.yaml: false (environment) when the user made the key of
# the CCM and CSI; the Exoscale and OpenStack modules then create no IAM role, API key or
# application credential (and destroy deletes none). AWS always uses its instance profiles.
variable "cloud_credentials_from_terraform" {
  description = "The module creates the credentials of the CCM and CSI (cloudIntegration.credentials: terraform)."
  type        = bool
  default     = true
}

# OpenStack-only inputs; the shared ones are in common-variables.tf.

variable "region" {
  description = "OpenStack region."
  type        = string
}

variable "external_network" {
  description = "Name of the external network for the router and floating IPs."
  type        = string
  default     = "public"
}

variable "pod_cidr" {
  description = "Pod network, allowed as source on node ports so native-routing CNIs pass port security; null skips it."
  type        = string
  default     = null
}

variable "lb_provider" {
  description = "Octavia provider (amphora, ovn, ...); null uses the cloud's default, and the load balancer's settings follow whichever provider Octavia reports (api-lb-settings.tf)."
  type        = string
  default     = null
}

variable "api_monitor_type" {
  description = "Health monitor of the API pool: HTTPS checks /readyz, TCP only connects; null picks HTTPS, or TCP on OVN, which has no HTTP monitors."
  type        = string
  default     = null

  validation {
    condition     = var.api_monitor_type == null ? true : contains(["HTTPS", "TCP"], var.api_monitor_type)
    error_message = "api_monitor_type must be HTTPS, TCP or null (provider.apiMonitorType in cluster.yaml)."
  }
}

variable "server_group_policy" {
  description = "Nova server group policy of the control planes: soft-anti-affinity spreads them where it can, anti-affinity refuses to place two on one host."
  type        = string
  default     = "soft-anti-affinity"

  # The two policies of docs/resources/compute_servergroup_v2.md that spread; affinity would put
  # every etcd member on one hypervisor.
  validation {
    condition     = contains(["anti-affinity", "soft-anti-affinity"], var.server_group_policy)
    error_message = "server_group_policy must be anti-affinity or soft-anti-affinity (provider.serverGroupPolicy in cluster.yaml)."
  }
}

variable "dns_nameservers" {
  description = "DNS servers the node subnet's DHCP hands out. Public resolvers by default; set the cloud's own to resolve its private names."
  type        = list(string)
  # Two operators, so one outage does not stop apt, image pulls and pkgs.k8s.io.
  default = ["1.1.1.1", "9.9.9.9"]

  validation {
    # Neutron refuses more than max_dns_nameservers (default 5, neutron/conf/common.py).
    condition     = length(var.dns_nameservers) <= 5 && alltrue([for server in var.dns_nameservers : can(cidrnetmask("${server}/32"))])
    error_message = "dns_nameservers must list at most 5 IPv4 addresses (provider.dnsNameservers in cluster.yaml)."
  }
}

variable "auth_url" {
  description = "Keystone URL the cloud controller manager and Cinder CSI use; null takes the public identity endpoint of the service catalog."
  type        = string
  default     = null
}

variable "application_credential_roles" {
  description = "Roles of the application credential of the cloud controller manager and Cinder CSI (e.g. [\"member\", \"load-balancer_member\"]); null keeps the operator's roles in the project."
  type        = list(string)
  default     = null
}

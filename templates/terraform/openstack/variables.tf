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
  description = "Octavia provider (amphora, ovn); null uses the cloud's default."
  type        = string
  default     = null
}

variable "api_monitor_type" {
  description = "Health monitor of the API pool: HTTPS checks /readyz; use TCP where the provider (ovn) has no HTTP monitors."
  type        = string
  default     = "HTTPS"

  validation {
    condition     = contains(["HTTPS", "TCP"], var.api_monitor_type)
    error_message = "api_monitor_type must be HTTPS or TCP."
  }
}

variable "server_group_policy" {
  description = "Nova server group policy of the control planes."
  type        = string
  default     = "soft-anti-affinity"
}

# AWS-only inputs; the shared ones are in common-variables.tf.

variable "region" {
  description = "AWS region."
  type        = string
}

variable "availability_zones" {
  description = "Zones to spread nodes over. Empty: the region's first three, looked up through the AWS API."
  type        = list(string)
  default     = []
}

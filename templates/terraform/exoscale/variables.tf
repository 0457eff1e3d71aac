# Exoscale-only inputs; the shared ones are in common-variables.tf.

variable "zone" {
  description = "Exoscale zone, e.g. ch-gva-2."
  type        = string
}

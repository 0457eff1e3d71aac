# The control planes are one object each, keyed by their node number N (the N of <cluster>-cp-N)
# as a string, so that removing cp-2 destroys cp-2 alone and a later add can reuse the number.
# Copied next to each provider's module files by k8s-bootstrap, like common-variables.tf.

locals {
  # Ascending by value, not by text: the modules output their control planes in this order.
  control_plane_numbers = (var.control_plane_numbers == null
    ? range(1, var.control_plane_count + 1)
  : [for n in range(1, 6) : n if contains(var.control_plane_numbers, n)])

  # The for_each keys of every per-control-plane resource: "1" for cp-1, and so on.
  control_plane_keys = toset([for n in local.control_plane_numbers : tostring(n)])

  # One number per control plane. A validation block may read a second variable only from
  # Terraform 1.9 on, so each module's control_plane output checks this in a precondition.
  control_plane_numbers_given = var.control_plane_numbers == null ? var.control_plane_count : length(var.control_plane_numbers)
  control_plane_numbers_fit   = local.control_plane_numbers_given == var.control_plane_count
  control_plane_numbers_error = "control_plane_numbers must list one number per control plane: it lists ${local.control_plane_numbers_given} but control_plane_count is ${var.control_plane_count}."
}

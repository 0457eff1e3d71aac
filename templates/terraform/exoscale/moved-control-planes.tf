# Control planes used to be counted (count = control_plane_count) and are now keyed by their node
# number (for_each over local.control_plane_keys, "1" for <cluster>-cp-1). These blocks tell
# Terraform that index i of a cluster made before is key "i+1" now, so upgrading plans a move,
# never a destroy and create. One block per index up to the five control planes a cluster can
# have; Terraform skips a block whose old address is not in the state. Keep them: an older cluster
# may be upgraded long after this release.

# exoscale_compute_instance.control_plane
moved {
  from = exoscale_compute_instance.control_plane[0]
  to   = exoscale_compute_instance.control_plane["1"]
}

moved {
  from = exoscale_compute_instance.control_plane[1]
  to   = exoscale_compute_instance.control_plane["2"]
}

moved {
  from = exoscale_compute_instance.control_plane[2]
  to   = exoscale_compute_instance.control_plane["3"]
}

moved {
  from = exoscale_compute_instance.control_plane[3]
  to   = exoscale_compute_instance.control_plane["4"]
}

moved {
  from = exoscale_compute_instance.control_plane[4]
  to   = exoscale_compute_instance.control_plane["5"]
}

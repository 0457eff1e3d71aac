# Control planes used to be counted (count = control_plane_count) and are now keyed by their node
# number (for_each over local.control_plane_keys, "1" for <cluster>-cp-1). These blocks tell
# Terraform that index i of a cluster made before is key "i+1" now, so upgrading plans a move,
# never a destroy and create. One block per index up to the five control planes a cluster can
# have; Terraform skips a block whose old address is not in the state. Keep them: an older cluster
# may be upgraded long after this release.

# openstack_networking_port_v2.control_plane
moved {
  from = openstack_networking_port_v2.control_plane[0]
  to   = openstack_networking_port_v2.control_plane["1"]
}

moved {
  from = openstack_networking_port_v2.control_plane[1]
  to   = openstack_networking_port_v2.control_plane["2"]
}

moved {
  from = openstack_networking_port_v2.control_plane[2]
  to   = openstack_networking_port_v2.control_plane["3"]
}

moved {
  from = openstack_networking_port_v2.control_plane[3]
  to   = openstack_networking_port_v2.control_plane["4"]
}

moved {
  from = openstack_networking_port_v2.control_plane[4]
  to   = openstack_networking_port_v2.control_plane["5"]
}

# openstack_compute_instance_v2.control_plane
moved {
  from = openstack_compute_instance_v2.control_plane[0]
  to   = openstack_compute_instance_v2.control_plane["1"]
}

moved {
  from = openstack_compute_instance_v2.control_plane[1]
  to   = openstack_compute_instance_v2.control_plane["2"]
}

moved {
  from = openstack_compute_instance_v2.control_plane[2]
  to   = openstack_compute_instance_v2.control_plane["3"]
}

moved {
  from = openstack_compute_instance_v2.control_plane[3]
  to   = openstack_compute_instance_v2.control_plane["4"]
}

moved {
  from = openstack_compute_instance_v2.control_plane[4]
  to   = openstack_compute_instance_v2.control_plane["5"]
}

# openstack_networking_floatingip_v2.control_plane
moved {
  from = openstack_networking_floatingip_v2.control_plane[0]
  to   = openstack_networking_floatingip_v2.control_plane["1"]
}

moved {
  from = openstack_networking_floatingip_v2.control_plane[1]
  to   = openstack_networking_floatingip_v2.control_plane["2"]
}

moved {
  from = openstack_networking_floatingip_v2.control_plane[2]
  to   = openstack_networking_floatingip_v2.control_plane["3"]
}

moved {
  from = openstack_networking_floatingip_v2.control_plane[3]
  to   = openstack_networking_floatingip_v2.control_plane["4"]
}

moved {
  from = openstack_networking_floatingip_v2.control_plane[4]
  to   = openstack_networking_floatingip_v2.control_plane["5"]
}

# openstack_lb_member_v2.api
moved {
  from = openstack_lb_member_v2.api[0]
  to   = openstack_lb_member_v2.api["1"]
}

moved {
  from = openstack_lb_member_v2.api[1]
  to   = openstack_lb_member_v2.api["2"]
}

moved {
  from = openstack_lb_member_v2.api[2]
  to   = openstack_lb_member_v2.api["3"]
}

moved {
  from = openstack_lb_member_v2.api[3]
  to   = openstack_lb_member_v2.api["4"]
}

moved {
  from = openstack_lb_member_v2.api[4]
  to   = openstack_lb_member_v2.api["5"]
}

# openstack_networking_secgroup_rule_v2.api_fip_control_plane
moved {
  from = openstack_networking_secgroup_rule_v2.api_fip_control_plane[0]
  to   = openstack_networking_secgroup_rule_v2.api_fip_control_plane["1"]
}

moved {
  from = openstack_networking_secgroup_rule_v2.api_fip_control_plane[1]
  to   = openstack_networking_secgroup_rule_v2.api_fip_control_plane["2"]
}

moved {
  from = openstack_networking_secgroup_rule_v2.api_fip_control_plane[2]
  to   = openstack_networking_secgroup_rule_v2.api_fip_control_plane["3"]
}

moved {
  from = openstack_networking_secgroup_rule_v2.api_fip_control_plane[3]
  to   = openstack_networking_secgroup_rule_v2.api_fip_control_plane["4"]
}

moved {
  from = openstack_networking_secgroup_rule_v2.api_fip_control_plane[4]
  to   = openstack_networking_secgroup_rule_v2.api_fip_control_plane["5"]
}

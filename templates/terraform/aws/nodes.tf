# Control planes and workers are plain instances (not an autoscaling group) so that Terraform
# knows every address and can output it; add-workers raises worker_count, which only adds.
# Control planes are keyed by node number, workers by index (worker_count shrinks from the end).

resource "aws_placement_group" "control_plane" {
  # "spread" puts each control plane on distinct hardware: the anti-affinity AWS offers.
  name     = "${var.cluster_name}-control-plane"
  strategy = "spread"
}

# One instance per node number (control-plane-numbers.tf), so any one can be removed alone.
resource "aws_instance" "control_plane" {
  for_each = local.control_plane_keys

  ami                         = var.image_id
  instance_type               = var.control_plane_type
  subnet_id                   = aws_subnet.nodes[(tonumber(each.key) - 1) % length(aws_subnet.nodes)].id
  vpc_security_group_ids      = [aws_security_group.nodes.id, aws_security_group.control_plane.id]
  key_name                    = aws_key_pair.cluster.key_name
  associate_public_ip_address = true
  placement_group             = aws_placement_group.control_plane.id
  iam_instance_profile        = aws_iam_instance_profile.control_plane.name
  # Native-routing CNIs (Calico BGP) forward pod traffic with pod source addresses.
  source_dest_check = false

  root_block_device {
    volume_size = var.control_plane_disk_gb
    volume_type = "gp3"
    # etcd data and kubelet credentials live here; encrypted even where the account's EBS
    # default encryption is off (the AWS-managed aws/ebs key unless the account sets another).
    encrypted = true
  }

  # Hop limit 2: pods (the EBS CSI controller) reach IMDSv2 and so the instance profile
  # (aws-ebs-csi-driver docs/install.md).
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tags = merge(local.cluster_tag, {
    Name = "${var.cluster_name}-cp-${each.key}"
    Role = "control-plane"
  })

  lifecycle {
    # A newer image must not replace running control planes; upgrades go through kubeadm.
    # Changing `encrypted` forces a new instance (checked with hashicorp/aws 5.100 and an
    # unencrypted volume in the state), so nodes made before volumes were encrypted stay as
    # they are; every node made from now on is encrypted.
    ignore_changes = [ami, root_block_device[0].encrypted]
  }
}

resource "aws_instance" "worker" {
  count = var.worker_count

  ami                         = var.image_id
  instance_type               = var.worker_type
  subnet_id                   = aws_subnet.nodes[count.index % length(aws_subnet.nodes)].id
  vpc_security_group_ids      = [aws_security_group.nodes.id, aws_security_group.workers.id]
  key_name                    = aws_key_pair.cluster.key_name
  associate_public_ip_address = true
  iam_instance_profile        = aws_iam_instance_profile.worker.name
  source_dest_check           = false

  root_block_device {
    volume_size = var.worker_disk_gb
    volume_type = "gp3"
    # etcd data and kubelet credentials live here; encrypted even where the account's EBS
    # default encryption is off (the AWS-managed aws/ebs key unless the account sets another).
    encrypted = true
  }

  # Hop limit 2: pods (the EBS CSI controller) reach IMDSv2 and so the instance profile
  # (aws-ebs-csi-driver docs/install.md).
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tags = merge(local.cluster_tag, {
    Name = "${var.cluster_name}-worker-${count.index + 1}"
    Role = "worker"
  })

  lifecycle {
    ignore_changes = [ami, root_block_device[0].encrypted]
  }
}

# Credentials of the cloud controller manager and the EBS CSI driver: instance profiles, so no
# static key ever reaches the cluster. Policies from kubernetes/cloud-provider-aws
# docs/prerequisites.md ("Control Plane Policy", "Node Policy"; as on its main branch, which
# adds elasticloadbalancing:SetSecurityGroups to the v1.36.1 tag's list) and
# kubernetes-sigs/aws-ebs-csi-driver docs/install.md (the AWS-managed AmazonEBSCSIDriverPolicyV2).
# Only what cloudIntegration turns on is granted (cloud_ccm, cloud_csi); the node policy and the
# profiles always exist. terraform destroy removes the roles, profiles and attachments with
# everything else.

data "aws_partition" "current" {}

locals {
  # IAM names are global to the account (not per region) and at most 64 characters: up to 40 of
  # the cluster name, 8 hex digits of a hash of region and full name, and the role.
  iam_prefix = "${trimsuffix(substr(var.cluster_name, 0, 40), "-")}-${substr(sha256("${var.region}/${var.cluster_name}"), 0, 8)}"
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# The CCM runs on the control planes (its DaemonSet selects node-role.kubernetes.io/control-plane).
data "aws_iam_policy_document" "ccm_control_plane" {
  statement {
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeTags",
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVolumes",
      "ec2:DescribeAvailabilityZones",
      "ec2:CreateSecurityGroup",
      "ec2:CreateTags",
      "ec2:CreateVolume",
      "ec2:ModifyInstanceAttribute",
      "ec2:ModifyVolume",
      "ec2:AttachVolume",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateRoute",
      "ec2:DeleteRoute",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteVolume",
      "ec2:DetachVolume",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:DescribeVpcs",
      "ec2:DescribeInstanceTopology",
      "elasticloadbalancing:AddTags",
      "elasticloadbalancing:AttachLoadBalancerToSubnets",
      "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:CreateLoadBalancerPolicy",
      "elasticloadbalancing:CreateLoadBalancerListeners",
      "elasticloadbalancing:ConfigureHealthCheck",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:DeleteLoadBalancerListeners",
      "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DetachLoadBalancerFromSubnets",
      "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
      "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancerPolicies",
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:RegisterTargets",
      "elasticloadbalancing:DeregisterTargets",
      "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
      "elasticloadbalancing:SetSecurityGroups",
      "iam:CreateServiceLinkedRole",
      "kms:DescribeKey",
    ]
    resources = ["*"]
  }
}

# Every node (control planes too): what kubelet and the node side of the CCM ask.
data "aws_iam_policy_document" "node" {
  statement {
    actions = [
      "ec2:DescribeInstances",
      "ec2:DescribeRegions",
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:GetRepositoryPolicy",
      "ecr:DescribeRepositories",
      "ecr:ListImages",
      "ecr:BatchGetImage",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role" "control_plane" {
  name               = "${local.iam_prefix}-control-plane"
  description        = "Control planes of ${var.cluster_name}: AWS cloud controller manager and EBS CSI"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role" "worker" {
  name               = "${local.iam_prefix}-worker"
  description        = "Workers of ${var.cluster_name}: kubelet and EBS CSI"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_role_policy" "ccm_control_plane" {
  count = var.cloud_ccm ? 1 : 0

  name   = "cloud-controller-manager"
  role   = aws_iam_role.control_plane.id
  policy = data.aws_iam_policy_document.ccm_control_plane.json
}

resource "aws_iam_role_policy" "node" {
  for_each = { control_plane = aws_iam_role.control_plane.id, worker = aws_iam_role.worker.id }

  name   = "node"
  role   = each.value
  policy = data.aws_iam_policy_document.node.json
}

# The EBS CSI controller Deployment may run on any node, so both roles get the managed policy.
# It scopes mutations to volumes and snapshots tagged ebs.csi.aws.com/cluster=true, which the
# driver sets on what it provisions (docs/install.md). The driver reads the instance profile
# through IMDSv2, hence http_put_response_hop_limit = 2 on the instances (nodes.tf).
resource "aws_iam_role_policy_attachment" "ebs_csi" {
  for_each = var.cloud_csi ? { control_plane = aws_iam_role.control_plane.name, worker = aws_iam_role.worker.name } : {}

  role       = each.value
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicyV2"
}

resource "aws_iam_instance_profile" "control_plane" {
  name = "${local.iam_prefix}-control-plane"
  role = aws_iam_role.control_plane.name
}

resource "aws_iam_instance_profile" "worker" {
  name = "${local.iam_prefix}-worker"
  role = aws_iam_role.worker.name
}

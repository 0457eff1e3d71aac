# A VPC on node_cidr with one public subnet per zone. Nodes get public addresses so the operator
# reaches them over SSH from admin_cidrs without a bastion; node traffic stays on the VPC.

data "aws_availability_zones" "available" {
  # Skipped when zones are given, which also keeps an offline plan possible.
  count = length(var.availability_zones) > 0 ? 0 : 1
  state = "available"
}

locals {
  # The AWS cloud controller manager finds the cluster's instances, subnets and security group by
  # this tag (kubernetes/cloud-provider-aws docs/getting_started.md, pkg/providers/v1/tags.go).
  cluster_tag = { "kubernetes.io/cluster/${var.cluster_name}" = "owned" }
  zones       = length(var.availability_zones) > 0 ? var.availability_zones : slice(data.aws_availability_zones.available[0].names, 0, min(3, length(data.aws_availability_zones.available[0].names)))
}

resource "aws_vpc" "cluster" {
  cidr_block           = var.node_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(local.cluster_tag, {
    Name = var.cluster_name
  })
}

resource "aws_internet_gateway" "cluster" {
  vpc_id = aws_vpc.cluster.id

  tags = {
    Name = var.cluster_name
  }
}

resource "aws_subnet" "nodes" {
  count = length(local.zones)

  vpc_id                  = aws_vpc.cluster.id
  availability_zone       = local.zones[count.index]
  cidr_block              = cidrsubnet(var.node_cidr, 4, count.index)
  map_public_ip_on_launch = true

  # Public subnets (routed to the internet gateway): the role tag makes the CCM put
  # internet-facing load balancers here when a zone has several subnets.
  tags = merge(local.cluster_tag, {
    Name                     = "${var.cluster_name}-${local.zones[count.index]}"
    "kubernetes.io/role/elb" = "1"
  })
}

resource "aws_route_table" "nodes" {
  vpc_id = aws_vpc.cluster.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.cluster.id
  }

  tags = {
    Name = var.cluster_name
  }
}

resource "aws_route_table_association" "nodes" {
  count = length(aws_subnet.nodes)

  subnet_id      = aws_subnet.nodes[count.index].id
  route_table_id = aws_route_table.nodes.id
}

resource "aws_key_pair" "cluster" {
  key_name   = var.cluster_name
  public_key = var.ssh_public_key
}

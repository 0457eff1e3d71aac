terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100 (the last 5.x) and every 6.x: the module uses only arguments both have.
      version = ">= 5.100, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "k8s-bootstrap/cluster" = var.cluster_name
    }
  }
}

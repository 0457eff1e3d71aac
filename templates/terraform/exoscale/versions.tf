terraform {
  required_version = ">= 1.5.0"

  required_providers {
    exoscale = {
      source = "exoscale/exoscale"
      # 0.69.3 is the first release that accepts port-less IPIP rules (CHANGELOG: "security_group_rule:
      # allow portless protocols (ESP, AH, GRE, IPIP) #531"; ssh_keys came in 0.63.0). Every argument
      # used here is in the v0.70.0 docs (docs/resources/*.md), the floor pinned.
      version = "~> 0.70"
    }
  }
}

# Credentials come from EXOSCALE_API_KEY / EXOSCALE_API_SECRET in the environment only.
provider "exoscale" {
  # Seconds to wait for compute resources (docs/index.md: default 3600). Ten minutes is ample for
  # an instance or an Elastic IP, and a stuck operation fails the run within the --timeout budget.
  timeout = 600
}

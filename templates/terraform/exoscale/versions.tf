terraform {
  required_version = ">= 1.5.0"

  required_providers {
    exoscale = {
      source = "exoscale/exoscale"
      # 0.54 removed the legacy APIv1 resources; this module uses only their replacements.
      version = ">= 0.54, < 1.0"
    }
  }
}

# Credentials come from EXOSCALE_API_KEY / EXOSCALE_API_SECRET in the environment only.
provider "exoscale" {
  # Seconds to wait for asynchronous operations; the provider's documented defaults disagree.
  timeout = 600
}

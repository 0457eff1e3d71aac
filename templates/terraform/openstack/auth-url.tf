# The Keystone URL the cloud controller manager and Cinder CSI authenticate at (output auth_url):
# var.auth_url, else the public identity endpoint of the service catalog (application-credential.tf
# reads it), the region's own first. Pure locals, so the choice is evaluated in a test.

locals {
  identity_endpoints = flatten([
    for service in local.service_catalog : [
      for endpoint in service.endpoints : endpoint if endpoint.interface == "public"
    ] if service.type == "identity"
  ])
  # Keystone is often registered without a region, or in another region than the nodes.
  identity_url = try(coalescelist([for e in local.identity_endpoints : e.url if e.region == var.region], [for e in local.identity_endpoints : e.url])[0], null)
  auth_url     = var.auth_url != null ? var.auth_url : local.identity_url
}

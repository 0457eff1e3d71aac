# The API key of the cloud controller manager and the CSI driver: a key of its own with a role
# limited to what they call, never the operator's key. It reaches the cluster only as the
# Kubernetes Secrets made from the sensitive outputs ccm_api_key / ccm_api_secret;
# terraform destroy deletes key and role with everything else.
#
# Arguments as in exoscale/terraform-provider-exoscale v0.70.0 docs/resources/iam_role.md (name,
# description, policy.default_service_strategy, policy.services.<name>.type/.rules[].expression/
# .action; `resources` is deprecated) and docs/resources/iam_api_key.md (name, role_id; read-only
# key, secret (sensitive)); example examples/iam-priv-instance/main.tf. Both resources exist
# since 0.53.0 (CHANGELOG), below the pinned ~> 0.70. IAM roles and keys belong to the
# organization, not a zone, so the zone is in the names.

locals {
  # CSI: the official policy of exoscale/exoscale-csi-driver README "Prerequisite".
  csi_operations = [
    "list-zones",
    "get-block-storage-volume",
    "list-block-storage-volumes",
    "create-block-storage-volume",
    "delete-block-storage-volume",
    "attach-block-storage-volume-to-instance",
    "detach-block-storage-volume",
    "update-block-storage-volume-labels",
    "resize-block-storage-volume",
    "get-block-storage-snapshot",
    "list-block-storage-snapshots",
    "create-block-storage-snapshot",
    "delete-block-storage-snapshot",
    "list-quotas",
  ]
  # CCM: Exoscale publishes no policy for it. DERIVED from the calls of
  # exoscale/exoscale-cloud-controller-manager (the exoscaleClient interface in exoscale/client.go,
  # plus GetZoneAPIEndpoint and waiting on operations), mapped to IAM operation names by hand;
  # the get-load-balancer-service and reset-* fields are in a third-party list
  # (PhilippeChepy/platform terraform-base-configuration). Check a change against
  # `exo iam role create` before shipping it.
  ccm_operations = [
    "list-zones",
    "get-operation",
    "get-instance",
    "list-instances",
    "get-instance-type",
    "create-load-balancer",
    "get-load-balancer",
    "list-load-balancers",
    "update-load-balancer",
    "delete-load-balancer",
    "reset-load-balancer-field",
    "add-service-to-load-balancer",
    "get-load-balancer-service",
    "update-load-balancer-service",
    "delete-load-balancer-service",
    "reset-load-balancer-service-field",
    "list-sks-clusters",
  ]
  cloud_operations = distinct(concat(var.cloud_ccm ? local.ccm_operations : [], var.cloud_csi ? local.csi_operations : []))
  # The same one-line expression as the CSI README's policy.
  cloud_operations_expression = "operation in [${join(",", [for operation in local.cloud_operations : "'${operation}'"])}]"
  # None when the user brings the key (cloudIntegration.credentials: environment); README
  # "Cloud integration and storage" lists cloud_operations as the role that key needs.
  cloud_credentials = (var.cloud_ccm || var.cloud_csi) && var.cloud_credentials_from_terraform
}

resource "exoscale_iam_role" "cloud_controllers" {
  count = local.cloud_credentials ? 1 : 0

  name        = "${var.cluster_name}-${var.zone}-cloud-controllers"
  description = "Cloud controller manager and CSI driver of the Kubernetes cluster ${var.cluster_name} (${var.zone})"

  policy = {
    default_service_strategy = "deny"
    services = {
      compute = {
        type = "rules"
        rules = [
          {
            expression = local.cloud_operations_expression
            action     = "allow"
          },
        ]
      }
    }
  }
}

resource "exoscale_iam_api_key" "cloud_controllers" {
  count = local.cloud_credentials ? 1 : 0

  name    = "${var.cluster_name}-${var.zone}-cloud-controllers"
  role_id = exoscale_iam_role.cloud_controllers[0].id
}

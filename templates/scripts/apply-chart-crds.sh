#!/usr/bin/env bash
# Applies the CRDs of a chart version before k8s-bootstrap upgrades its release (k8s-bootstrap).
# Helm installs a chart's crds/ folder (and its subcharts') on the first install only and never
# upgrades it; Traefik's README ("Upgrading") and kube-prometheus-stack's UPGRADE.md both ask to
# apply the new CRDs server-side first. Run on the first control plane, so CRDs of megabytes
# (kube-prometheus-stack's) never cross SSH. Inputs (environment, from src/kube/addons/pins.ts):
# CHART, REPO, VERSION.
set -euo pipefail

: "${CHART:?CHART is not set}" "${REPO:?REPO is not set}" "${VERSION:?VERSION is not set}"
kubeconfig=/etc/kubernetes/admin.conf

crds=$(mktemp)
trap 'rm -f "$crds"' EXIT
/usr/local/bin/helm show crds "$CHART" --repo "$REPO" --version "$VERSION" --kubeconfig "$kubeconfig" >"$crds"
if ! grep -Eq "^kind: *[\"']?CustomResourceDefinition" "$crds"; then
  echo "${CHART} ${VERSION} keeps no CRDs in crds/: nothing to apply"
  exit 0
fi
kubectl --kubeconfig "$kubeconfig" apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f "$crds"
echo "applied the CRDs of ${CHART} ${VERSION} (server-side) before its upgrade"

#!/usr/bin/env bash
# join-worker.sh: a worker's `kubeadm join` in one SSH command (SshNodeOps.join runs it with
# NodeSession.runScriptInline; control planes join step by step). What it does is what the steps
# did one command each: the cluster marker first (so a join that stops half-way is known as this
# cluster's, kube/node-ownership.ts), the JoinConfiguration installed 0600 (it holds the bootstrap
# token), kubeadm join --config, and the configuration removed however the join ends.
# Runs as root. Inputs (environment):
#   CONFIG_PATH   where kubeadm reads the JoinConfiguration (/etc/kubernetes/k8sb/<name>.yaml)
#   CLUSTER_UID   the cluster's uid for the marker /etc/k8s-bootstrap/cluster (empty: no marker)
#   CLUSTER_NAME  the cluster's name for the marker
#   K8SB_PAYLOAD  the file with the JoinConfiguration (sent on stdin; set by the loader)
set -euo pipefail

die() {
  printf 'join-worker: ERROR: %s\n' "$*" >&2
  exit 1
}

CONFIG_PATH="${CONFIG_PATH:-}"
CLUSTER_UID="${CLUSTER_UID:-}"
CLUSTER_NAME="${CLUSTER_NAME:-}"
[[ "$CONFIG_PATH" =~ ^/etc/kubernetes/k8sb/[a-z0-9-]+\.yaml$ ]] || die "CONFIG_PATH must be /etc/kubernetes/k8sb/<name>.yaml (got '${CONFIG_PATH}')"
[[ -z "$CLUSTER_UID" || "$CLUSTER_UID" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || die "CLUSTER_UID must be a uuid (got '${CLUSTER_UID}')"
[[ -z "$CLUSTER_UID" || "$CLUSTER_NAME" =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] || die "CLUSTER_NAME must be a DNS label (got '${CLUSTER_NAME}')"
[[ -s "${K8SB_PAYLOAD:-}" ]] || die "no JoinConfiguration was sent on stdin"

if [[ -n "$CLUSTER_UID" ]]; then
  install -d -m 0755 /etc/k8s-bootstrap
  printf 'uid=%s name=%s\n' "$CLUSTER_UID" "$CLUSTER_NAME" >/etc/k8s-bootstrap/cluster.k8sb-tmp
  chmod 0644 /etc/k8s-bootstrap/cluster.k8sb-tmp
  mv /etc/k8s-bootstrap/cluster.k8sb-tmp /etc/k8s-bootstrap/cluster
fi

# The token must not stay on the node, whatever happens to the join.
trap 'rm -f "$CONFIG_PATH"' EXIT
install -m 0600 -D "$K8SB_PAYLOAD" "$CONFIG_PATH"
kubeadm join --config "$CONFIG_PATH"

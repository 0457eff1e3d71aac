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
#   REQUIRE_CLEAN 0|1 (default 0) join only a node that holds no kubeadm state and runs no kubeadm;
#                 otherwise change nothing, print "k8sb-join: not clean" and exit 90 (k8s-bootstrap
#                 then looks closer: joined already, a failed join of ours to reset, or another
#                 cluster's node). The look of kubeadm-state.sh, in the same SSH command as the join.
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
[[ "${REQUIRE_CLEAN:-0}" == 0 || "${REQUIRE_CLEAN:-0}" == 1 ]] || die "REQUIRE_CLEAN must be 0 or 1 (got '${REQUIRE_CLEAN}')"
[[ -s "${K8SB_PAYLOAD:-}" ]] || die "no JoinConfiguration was sent on stdin"

# What kubeadm-state.sh counts as kubeadm state, and a kubeadm still running (an interrupted run's).
not_clean() {
  local manifest
  for manifest in /etc/kubernetes/manifests/*.yaml; do [[ ! -e "$manifest" ]] || return 0; done
  [[ -e /etc/kubernetes/admin.conf || -e /etc/kubernetes/kubelet.conf || -e /var/lib/etcd/member || -e /etc/kubernetes/pki/ca.crt ]] && return 0
  command -v pgrep >/dev/null 2>&1 && pgrep -x kubeadm >/dev/null && return 0
  return 1
}
if [[ "${REQUIRE_CLEAN:-0}" == 1 ]] && not_clean; then
  echo "k8sb-join: not clean"
  # 90: no code kubeadm uses (it exits 1, or 3 for a configuration that fails validation).
  exit 90
fi

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

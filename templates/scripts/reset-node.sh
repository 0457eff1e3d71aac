#!/usr/bin/env bash
# reset-node.sh: takes a node out of Kubernetes the way the kubeadm-reset docs describe, and
# removes what kubeadm reset leaves behind that would break the next cluster on this host.
# Runs as root. Inputs (environment):
#   CRI_SOCKET  the runtime's socket: kubeadm reset needs it when two runtimes are present
#               ("found multiple CRI endpoints on the host")
#   STATIC_HA   0|1   this control plane ran k8s-bootstrap's keepalived + haproxy: stop them
set -euo pipefail

CRI_SOCKET="${CRI_SOCKET:-}"
STATIC_HA="${STATIC_HA:-0}"
case "$CRI_SOCKET" in
  unix:///run/containerd/containerd.sock | unix:///var/run/crio/crio.sock) ;;
  *) echo "reset-node: ERROR: CRI_SOCKET must be the containerd or CRI-O socket (got '${CRI_SOCKET}')" >&2; exit 1 ;;
esac
[[ "$STATIC_HA" == 0 || "$STATIC_HA" == 1 ]] || { echo "reset-node: ERROR: STATIC_HA must be 0 or 1" >&2; exit 1; }

if command -v kubeadm >/dev/null 2>&1; then
  kubeadm reset -f --cri-socket "$CRI_SOCKET"
else
  echo "kubeadm is not installed: nothing for kubeadm reset to do"
fi

# kubeadm reset does not clean /etc/cni/net.d; a CNI's config left there breaks pods of the next
# cluster that uses another CNI (kubeadm-reset docs, "Cleanup of CNI configuration").
if [ -d /etc/cni/net.d ]; then
  find /etc/cni/net.d -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  echo "removed the CNI configuration in /etc/cni/net.d"
fi

# k8s-bootstrap's own files: the cluster marker, the kubeadm configuration files (they held the
# join token and certificate key) and the CNI marker of releases before 0.2.
rm -rf /etc/kubernetes/k8sb
rm -f /etc/k8s-bootstrap/cluster /etc/k8s-bootstrap/cni

if [ "$STATIC_HA" == 1 ]; then
  # keepalived would keep holding and announcing the virtual IP of a cluster that is gone.
  for unit in keepalived haproxy; do
    if systemctl is-active --quiet "$unit" 2>/dev/null || systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      systemctl disable --now "$unit"
      echo "stopped and disabled $unit"
    fi
  done
  rm -f /etc/keepalived/keepalived.conf /etc/keepalived/check_apiserver.sh
fi
echo "node reset"

#!/usr/bin/env bash
# kubeadm-state.sh: what of kubeadm's state this node holds, so k8s-bootstrap can tell a node that
# belongs to no cluster, to this cluster (a half-done init or join to reset), or to another one
# (refused). Prints key=value lines, then the cluster CA after "ca:". Changes nothing. Runs as root.
set -euo pipefail

present() { if [ -e "$1" ]; then echo yes; else echo no; fi; }
echo "admin_conf=$(present /etc/kubernetes/admin.conf)"
echo "kubelet_conf=$(present /etc/kubernetes/kubelet.conf)"
if [ -n "$(find /etc/kubernetes/manifests -maxdepth 1 -name '*.yaml' 2>/dev/null | head -n 1)" ]; then echo manifests=yes; else echo manifests=no; fi
echo "etcd_data=$(present /var/lib/etcd/member)"
# The marker k8s-bootstrap writes before kubeadm runs: which cluster started this node's state.
marker=$(head -c 200 /etc/k8s-bootstrap/cluster 2>/dev/null | head -n 1 || true)
echo "marker=${marker}"
echo "ca:"
if [ -f /etc/kubernetes/pki/ca.crt ]; then head -c 20000 /etc/kubernetes/pki/ca.crt; fi

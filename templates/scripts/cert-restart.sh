#!/usr/bin/env bash
# cert-restart.sh: restarts this control plane's static pods (kube-apiserver,
# kube-controller-manager, kube-scheduler, etcd) so that they load the certificates
# `kubeadm certs renew all` wrote. The documented way (kubernetes.io, "Certificate Management with
# kubeadm", Manual certificate renewal): static pods are the kubelet's, not the API server's, so
# kubectl cannot restart them; move each manifest out of /etc/kubernetes/manifests, wait until the
# kubelet stopped the pod (it looks every fileCheckFrequency, 20 s by default), move it back.
#
# Runs as root with env NODE (the Node name: the mirror pods are <component>-<NODE>) and
# STOP_TIMEOUT (seconds, default 90). "Stopped" is: crictl (cri-tools, which the kubeadm packages
# depend on) lists no running container of the four; without crictl (or when it cannot reach the
# runtime), the API lists none of the
# node's mirror pods of the four, or does not answer at all (its kube-apiserver is the one that
# stopped). The manifests go back in any case, also when the wait times out or the script is
# stopped (trap); a manifest an interrupted run left in the holding folder goes back too
# (idempotent). Prints key=value lines. Exit 3: the kubelet did not stop them within STOP_TIMEOUT
# (the manifests are back in place, the pods may not have restarted); 4: no static pod manifest
# here (not a control plane).
set -euo pipefail

: "${NODE:?}"
case "$NODE" in
  *[!a-z0-9.-]*|'') echo "bad NODE" >&2; exit 2 ;;
esac
STOP_TIMEOUT="${STOP_TIMEOUT:-90}"
MANIFESTS=/etc/kubernetes/manifests
HOLD=/etc/kubernetes/k8sb-cert-restart
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler etcd)

mkdir -p "$HOLD"
chmod 0700 "$HOLD"
moved=()
for c in "${COMPONENTS[@]}"; do
  if [ -f "$MANIFESTS/$c.yaml" ]; then
    mv -f "$MANIFESTS/$c.yaml" "$HOLD/$c.yaml"
  fi
  if [ -f "$HOLD/$c.yaml" ]; then moved+=("$c"); fi
done

restore() {
  for c in ${moved[@]+"${moved[@]}"}; do
    if [ -f "$HOLD/$c.yaml" ]; then mv -f "$HOLD/$c.yaml" "$MANIFESTS/$c.yaml"; fi
  done
  rmdir "$HOLD" 2>/dev/null || true
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

if [ "${#moved[@]}" -eq 0 ]; then
  echo "no static pod manifest of ${COMPONENTS[*]} in $MANIFESTS" >&2
  exit 4
fi
echo "held=$(IFS=,; echo "${moved[*]}")"

stopped() {
  local pattern ids pods
  pattern="^($(IFS='|'; echo "${moved[*]}"))\$"
  # crictl that cannot reach the runtime (no /etc/crictl.yaml, another socket) falls through to the API.
  if command -v crictl >/dev/null 2>&1 && ids=$(crictl ps -q --state running --name "$pattern" 2>/dev/null); then
    [ -z "$ids" ]
    return
  fi
  if ! pods=$(kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system get pods --request-timeout=5s \
      -l tier=control-plane --field-selector "spec.nodeName=${NODE}" -o name 2>/dev/null); then
    return 0
  fi
  for c in "${moved[@]}"; do
    if printf '%s\n' "$pods" | grep -qx "pod/${c}-${NODE}"; then return 1; fi
  done
  return 0
}

waited=0
until stopped; do
  if [ "$waited" -ge "$STOP_TIMEOUT" ]; then
    echo "the kubelet did not stop ${moved[*]} within ${STOP_TIMEOUT}s" >&2
    exit 3
  fi
  sleep 1
  waited=$((waited + 1))
done
echo "stopped_after=${waited}s"
restore
trap - EXIT
echo "restarted=$(IFS=,; echo "${moved[*]}")"

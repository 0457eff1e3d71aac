#!/usr/bin/env bash
# etcd-backup.sh: one etcd snapshot of this control plane, verified, staged for download. Runs as
# root on a control plane with env NODE (the Node name: the etcd static pod is etcd-<NODE>), STAMP
# (YYYYMMDDTHHMMSSZ) and OWNER (the SSH user that downloads the staged copies). In the etcd pod
# (kubectl exec; the etcd image ships etcdctl and etcdutl, no shell), with the certificates kubeadm
# made: endpoint health, snapshot save into /var/lib/etcd (the pod's hostPath, so the file is this
# node's), etcdutl snapshot status -w json. Then sha256 and size of the snapshot and of a tar.gz of
# the PKI a restore needs, both copied 0600 into /tmp/k8sb/backup-<STAMP> for the SSH user, and the
# file under /var/lib/etcd removed. Earlier runs' leftovers are removed first (idempotent).
# Prints key=value lines; exit 3 etcd unhealthy, 4 save failed, 5 status failed, 6 PKI archive failed.
set -euo pipefail

: "${NODE:?}" "${STAMP:?}" "${OWNER:?}"
case "$STAMP" in
  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
  *) echo "bad STAMP" >&2; exit 2 ;;
esac

KUBECONFIG_ADMIN=/etc/kubernetes/admin.conf
SNAPSHOT="/var/lib/etcd/k8sb-backup-${STAMP}.db"
STAGING="/tmp/k8sb/backup-${STAMP}"
PKI_FILES=(pki/ca.crt pki/ca.key pki/sa.key pki/sa.pub pki/front-proxy-ca.crt pki/front-proxy-ca.key pki/etcd/ca.crt pki/etcd/ca.key)

in_etcd() {
  kubectl --kubeconfig "$KUBECONFIG_ADMIN" -n kube-system exec "etcd-${NODE}" -- "$@"
}
etcdctl_tls() {
  in_etcd etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key "$@"
}

# Leftovers of an interrupted run (any stamp): never more than one snapshot copy on the node.
rm -f /var/lib/etcd/k8sb-backup-*.db /var/lib/etcd/k8sb-backup-*.db.part
rm -rf /tmp/k8sb/backup-*

if ! health=$(etcdctl_tls endpoint health 2>&1); then
  echo "health=unhealthy"
  printf '%s\n' "$health" | tail -n 5 >&2
  exit 3
fi
echo "health=ok"

if ! etcdctl_tls snapshot save "$SNAPSHOT" >/dev/null 2>/tmp/k8sb-backup-save.err; then
  tail -n 5 /tmp/k8sb-backup-save.err >&2 || true
  rm -f /tmp/k8sb-backup-save.err "$SNAPSHOT" "${SNAPSHOT}.part"
  exit 4
fi
rm -f /tmp/k8sb-backup-save.err

if ! status=$(in_etcd etcdutl snapshot status "$SNAPSHOT" -w json 2>/tmp/k8sb-backup-status.err); then
  tail -n 5 /tmp/k8sb-backup-status.err >&2 || true
  rm -f /tmp/k8sb-backup-status.err "$SNAPSHOT"
  exit 5
fi
rm -f /tmp/k8sb-backup-status.err
echo "status=$(printf '%s' "$status" | tr -d '\n')"

install -d -m 0700 -o "$OWNER" "$STAGING"
install -m 0600 -o "$OWNER" "$SNAPSHOT" "${STAGING}/etcd-snapshot.db"
rm -f "$SNAPSHOT"

present=()
missing=()
for file in "${PKI_FILES[@]}"; do
  if [ -f "/etc/kubernetes/${file}" ]; then present+=("$file"); else missing+=("$file"); fi
done
if [ "${#present[@]}" -eq 0 ] || ! tar -czf "${STAGING}/pki.tar.gz" -C /etc/kubernetes "${present[@]}"; then
  echo "no PKI archive" >&2
  rm -rf "$STAGING"
  exit 6
fi
chown "$OWNER" "${STAGING}/pki.tar.gz"
chmod 0600 "${STAGING}/pki.tar.gz"
echo "pki_missing=${missing[*]:-}"

echo "snapshot_sha256=$(sha256sum "${STAGING}/etcd-snapshot.db" | cut -d' ' -f1)"
echo "snapshot_bytes=$(stat -c %s "${STAGING}/etcd-snapshot.db")"
echo "pki_sha256=$(sha256sum "${STAGING}/pki.tar.gz" | cut -d' ' -f1)"
echo "pki_bytes=$(stat -c %s "${STAGING}/pki.tar.gz")"

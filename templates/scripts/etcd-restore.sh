#!/usr/bin/env bash
# etcd-restore.sh: one stage of restoring a kubeadm cluster's stacked etcd from a snapshot, as
# "Operating etcd clusters for Kubernetes" (kubernetes.io/docs/tasks/administer-cluster/
# configure-upgrade-etcd/#restoring-an-etcd-cluster) and etcd's "Disaster recovery"
# (etcd.io/docs/v3.6/op-guide/recovery/) describe it: stop every API server (and etcd), restore
# the snapshot into a new data dir as a new one-member cluster (etcdutl snapshot restore --name
# --initial-cluster --initial-advertise-peer-urls), put that data dir where the etcd manifest
# points (--data-dir=/var/lib/etcd), start the static pods again. Runs as root. Environment:
#   STAGE     prepare | stop | swap | start
#   STAMP     the backup's YYYYMMDDTHHMMSSZ (names every file this restore owns)
#   NODE      the Node name (etcd pod etcd-<NODE>; etcd member name, as kubeadm names it)  [prepare]
#   PEER_URL  https://<advertise address>:2380 of NODE                                    [prepare]
#   CRI_ENDPOINT  the container runtime's socket, for crictl (optional)
#
# Where etcdutl runs: in the etcd static pod of this node, before it is stopped (kubectl exec, as
# backup does: the etcd image ships etcdutl and no shell, and no etcdutl need be installed on the
# host); when the API does not answer, in the same container through crictl exec. The pod
# mounts the host's /var/lib/etcd (hostPath etcd-data), so the snapshot copied to
# /var/lib/etcd/k8sb-restore-<STAMP>.db and the data dir restored into
# /var/lib/etcd/k8sb-restored-<STAMP> are this node's files. etcdutl reads files only: the running
# etcd does not notice. The swap happens with every static pod stopped. The old member dir is kept
# aside in /etc/kubernetes/tmp/k8sb-pre-restore-<STAMP>/etcd (where kubeadm upgrade keeps its own
# etcd backups, /etc/kubernetes/tmp/kubeadm-backup-etcd-*), the manifests in
# /etc/kubernetes/tmp/k8sb-restore-<STAMP>-manifests while stopped.
#
# prepare: checks the PKI against the backup's archive (a file missing here is restored from it;
#   one that differs stops the restore, exit 3), then etcdutl snapshot restore (exit 4 on failure).
#   Staged by the tool as /tmp/k8sb/restore-<STAMP>-etcd-snapshot.db and -pki.tar.gz.
# stop:    moves the four static-pod manifests out of /etc/kubernetes/manifests (kubelet stops them).
# swap:    /var/lib/etcd/member aside, the restored member dir in its place (exit 5: nothing restored).
# start:   moves the manifests back (kubelet starts them: etcd on the restored data).
# Every stage can run again after an interruption and does what is left.
set -euo pipefail

: "${STAGE:?}" "${STAMP:?}"
case "$STAMP" in
  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
  *) echo "bad STAMP" >&2; exit 2 ;;
esac

# crictl on the runtime's socket (without CRI_ENDPOINT, crictl's own default endpoints).
CRICTL=(crictl)
[ -z "${CRI_ENDPOINT:-}" ] || CRICTL+=(--runtime-endpoint "$CRI_ENDPOINT")

# crictl_etcdutl ARGS...: etcdutl in this node's running etcd container, through the container
# runtime instead of the API server: what is left when the API does not answer (etcd without
# quorum, the case a restore is for). crictl comes with kubeadm (its package depends on
# cri-tools); CRI_ENDPOINT is the runtime's socket (kubeadm's criSocket).
crictl_etcdutl() {
  command -v crictl >/dev/null 2>&1 || { echo "crictl is not installed" >&2; return 1; }
  local id
  id=$("${CRICTL[@]}" ps --name '^etcd$' --state running -q | head -n 1)
  [ -n "$id" ] || { echo "no running etcd container (crictl ps --name ^etcd$)" >&2; return 1; }
  rm -rf "$RESTORED"
  "${CRICTL[@]}" exec "$id" etcdutl "$@"
}

MANIFESTS=/etc/kubernetes/manifests
ASIDE="/etc/kubernetes/tmp/k8sb-restore-${STAMP}-manifests"
OLD="/etc/kubernetes/tmp/k8sb-pre-restore-${STAMP}"
STAGED="/tmp/k8sb/restore-${STAMP}"  # -etcd-snapshot.db, -pki.tar.gz (uploaded by SFTP)
SNAPSHOT="/var/lib/etcd/k8sb-restore-${STAMP}.db"
RESTORED="/var/lib/etcd/k8sb-restored-${STAMP}"
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler etcd)

case "$STAGE" in
  prepare)
    : "${NODE:?}" "${PEER_URL:?}"
    case "$PEER_URL" in https://*:2380) ;; *) echo "bad PEER_URL" >&2; exit 2 ;; esac
    if [ -d "$OLD/etcd/member" ] && [ -d /var/lib/etcd/member ]; then echo "already=swapped"; exit 0; fi
    # The PKI: what the backup holds must be what the node has (a missing file comes back).
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    tar -xzf "${STAGED}-pki.tar.gz" -C "$work"
    differs=()
    while IFS= read -r file; do
      rel="${file#"$work"/}"
      if [ ! -e "/etc/kubernetes/$rel" ]; then
        install -D -m "$(case "$rel" in *.key) echo 0600 ;; *) echo 0644 ;; esac)" "$file" "/etc/kubernetes/$rel"
        echo "pki_restored=$rel"
      elif ! cmp -s "$file" "/etc/kubernetes/$rel"; then
        differs+=("$rel")
      fi
    done < <(find "$work" -type f | sort)
    if [ "${#differs[@]}" -gt 0 ]; then
      echo "pki_differs=${differs[*]}"
      exit 3
    fi
    install -m 0600 "${STAGED}-etcd-snapshot.db" "$SNAPSHOT"
    rm -rf "$RESTORED"
    restore_args=(snapshot restore "$SNAPSHOT" --data-dir "$RESTORED" --name "$NODE"
      --initial-cluster "${NODE}=${PEER_URL}" --initial-advertise-peer-urls "$PEER_URL"
      --initial-cluster-token "k8sb-restore-${STAMP}")
    if kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system exec "etcd-${NODE}" -- etcdutl "${restore_args[@]}" 2>"$work/restore.err"; then
      echo "via=kubectl"
    elif crictl_etcdutl "${restore_args[@]}" 2>>"$work/restore.err"; then
      echo "via=crictl"
    else
      tail -n 5 "$work/restore.err" >&2 || true
      rm -f "$SNAPSHOT"
      exit 4
    fi
    rm -f "$SNAPSHOT"
    echo "restored=$RESTORED"
    ;;
  stop)
    install -d -m 0700 "$ASIDE"
    for name in "${COMPONENTS[@]}"; do
      if [ -f "$MANIFESTS/$name.yaml" ]; then mv "$MANIFESTS/$name.yaml" "$ASIDE/$name.yaml"; echo "stopped=$name"; fi
    done
    # The kubelet stops a static pod whose manifest is gone (it looks every 20 s: fileCheckFrequency).
    if command -v crictl >/dev/null 2>&1; then
      for _ in $(seq 1 60); do
        [ -z "$("${CRICTL[@]}" ps -q --name '^(etcd|kube-apiserver)$' 2>/dev/null)" ] && break
        sleep 2
      done
    fi
    ;;
  swap)
    if [ -d "$RESTORED/member" ]; then
      install -d -m 0700 "$OLD"
      if [ -d /var/lib/etcd/member ]; then
        if [ -e "$OLD/etcd/member" ]; then echo "both /var/lib/etcd/member and $OLD/etcd/member exist" >&2; exit 5; fi
        install -d -m 0700 "$OLD/etcd"
        mv /var/lib/etcd/member "$OLD/etcd/member"
      fi
      mv "$RESTORED/member" /var/lib/etcd/member
      rmdir "$RESTORED"
      echo "swapped=1"
      echo "old=$OLD/etcd"
    elif [ -d "$OLD/etcd/member" ] && [ -d /var/lib/etcd/member ]; then
      echo "already=swapped"
      echo "old=$OLD/etcd"
    else
      echo "no restored data dir in $RESTORED" >&2
      exit 5
    fi
    ;;
  start)
    if [ -d "$ASIDE" ]; then
      for name in "${COMPONENTS[@]}"; do
        if [ -f "$ASIDE/$name.yaml" ]; then mv "$ASIDE/$name.yaml" "$MANIFESTS/$name.yaml"; echo "started=$name"; fi
      done
      rmdir "$ASIDE" 2>/dev/null || true
    fi
    rm -f "${STAGED}-etcd-snapshot.db" "${STAGED}-pki.tar.gz"
    ;;
  *)
    echo "bad STAGE" >&2
    exit 2
    ;;
esac

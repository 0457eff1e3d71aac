#!/bin/bash
# Runs as process 1 of a node's private mount, UTS and PID namespaces (started by `unshare`).
# It gives the node its hostname, bind-mounts the node's private directories and the stand-in
# tools over the host paths (visible only inside this namespace), then becomes sshd.
set -euo pipefail
node_dir=$1
hostname "$(cat "$node_dir/hostname")"
# mounts.txt: "<source>\t<target>" lines written by fleet.ts; the host's files stay untouched.
while IFS=$'\t' read -r source target; do
  [ -n "$source" ] || continue
  mount --bind "$source" "$target"
done < "$node_dir/mounts.txt"
# kubeadm/kubelet check `stat -fc %T /sys/fs/cgroup/` == cgroup2fs. This host mounts a tmpfs
# there (cgroup v1 layout); a fresh cgroup2 mount inside the namespace answers like a v2 host.
if ! mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; then
  echo "fleet: could not mount cgroup2 on /sys/fs/cgroup inside the node namespace" >&2
fi
exec /usr/sbin/sshd -D -e -f "$node_dir/sshd_config"

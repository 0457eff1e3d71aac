#!/usr/bin/env bash
# switch-k8s-repo.sh: points apt at the pkgs.k8s.io repository of another Kubernetes minor (and the
# CRI-O repository of the same minor on CRI-O nodes), then runs apt-get update. This is the
# "change the package repository" step of the official kubeadm upgrade procedure
# (https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/change-package-repository/).
#
# Idempotent: a list that already names the minor is left alone; apt-get update always runs, because
# an earlier run may have rewritten the list and been stopped before its update.
# Runs as root. Inputs (environment):
#   K8S_MINOR   1.Y                 (required) repository minor to switch to
#   RUNTIME     containerd|cri-o    (default containerd) cri-o also switches the CRI-O repository
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }
die() {
  printf 'switch-k8s-repo: ERROR: %s\n' "$*" >&2
  exit 1
}

K8S_MINOR="${K8S_MINOR:-}"
RUNTIME="${RUNTIME:-containerd}"
[[ "$K8S_MINOR" =~ ^1\.[0-9]{1,3}$ ]] || die "K8S_MINOR must look like 1.37 (got '${K8S_MINOR}')"
[[ "$RUNTIME" == containerd || "$RUNTIME" == cri-o ]] || die "RUNTIME must be containerd or cri-o (got '${RUNTIME}')"
[[ "$(id -u)" == 0 ]] || die "must run as root (use: sudo -n env K8S_MINOR=... bash switch-k8s-repo.sh)"

# switch_list LIST KEYRING REPO: rewrites LIST to REPO and re-fetches the key from REPO when needed.
switch_list() {
  local list="$1" keyring="$2" repo="$3"
  local wanted="deb [signed-by=${keyring}] ${repo} /"
  if [[ -f "$list" ]] && [[ "$(cat "$list")" == "$wanted" ]] && [[ -s "$keyring" ]]; then
    say "ok: ${list} already names ${repo}"
    return 0
  fi
  say "${list} -> ${repo}"
  install -d -m 0755 /etc/apt/keyrings
  # The key comes from the same minor path as the list (kubernetes-facts.md §2).
  curl -fsSL "${repo}Release.key" | gpg --dearmor --batch --yes -o "$keyring"
  chmod 0644 "$keyring"
  printf '%s\n' "$wanted" >"${list}.k8sb-tmp"
  chmod 0644 "${list}.k8sb-tmp"
  mv "${list}.k8sb-tmp" "$list"
}

switch_list /etc/apt/sources.list.d/kubernetes.list /etc/apt/keyrings/kubernetes-apt-keyring.gpg \
  "https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/"
if [[ "$RUNTIME" == cri-o ]]; then
  # CRI-O minor tracks the Kubernetes minor (kubernetes-facts.md §3).
  switch_list /etc/apt/sources.list.d/cri-o.list /etc/apt/keyrings/cri-o-apt-keyring.gpg \
    "https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v${K8S_MINOR}/deb/"
fi

# apt-get update takes the lists lock without waiting (DPkg::Lock::Timeout covers only the dpkg
# lock); apt-daily may hold it after boot, so retry while another process has it.
say "apt-get update"
for attempt in $(seq 1 120); do
  if output="$(apt-get -o DPkg::Lock::Timeout=600 update 2>&1)"; then
    printf '%s\n' "$output"
    exit 0
  fi
  if ! grep -q 'Could not get lock' <<<"$output" || [ "$attempt" -eq 120 ]; then
    printf '%s\n' "$output" >&2
    die "apt-get update failed"
  fi
  echo "    apt lists are locked by another process, retrying in 5s"
  sleep 5
done

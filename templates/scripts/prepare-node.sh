#!/usr/bin/env bash
# prepare-node.sh: makes an Ubuntu LTS machine ready for kubeadm, the way the Kubernetes docs do it.
# Used by Packer (image builds) and over SSH for static nodes, so it depends on neither.
#
# Idempotent: every step looks before it acts, so a second run changes nothing.
# Runs as root. Inputs (environment):
#   K8S_VERSION   1.Y.Z              (required) kubelet/kubeadm/kubectl version to install and hold
#   K8S_MINOR     1.Y                (optional, must match K8S_VERSION) pkgs.k8s.io repository minor
#   RUNTIME       containerd|cri-o   (default containerd)
#   PULL_IMAGES   0|1                (default 0) pre-pull the control-plane images
#   K8SB_PREPARE_ROOT  absolute dir  (tests only, default empty) prefix for every file path
# Last step writes /etc/k8s-bootstrap/prepared: "version=<K8S_VERSION> runtime=<RUNTIME>".
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }
skip() { printf '    ok: %s\n' "$*"; }
die() {
  printf 'prepare-node: ERROR: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- inputs (validated, never eval'd)
K8S_VERSION="${K8S_VERSION:-}"
RUNTIME="${RUNTIME:-containerd}"
PULL_IMAGES="${PULL_IMAGES:-0}"
ROOT="${K8SB_PREPARE_ROOT:-}"

[[ "$K8S_VERSION" =~ ^1\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
  die "K8S_VERSION must look like 1.36.2 (got '${K8S_VERSION}')"
DERIVED_MINOR="${K8S_VERSION%.*}"
K8S_MINOR="${K8S_MINOR:-$DERIVED_MINOR}"
[[ "$K8S_MINOR" =~ ^1\.[0-9]{1,3}$ ]] || die "K8S_MINOR must look like 1.36 (got '${K8S_MINOR}')"
[[ "$K8S_MINOR" == "$DERIVED_MINOR" ]] || die "K8S_MINOR ${K8S_MINOR} does not match K8S_VERSION ${K8S_VERSION}"
[[ "$RUNTIME" == containerd || "$RUNTIME" == cri-o ]] || die "RUNTIME must be containerd or cri-o (got '${RUNTIME}')"
[[ "$PULL_IMAGES" == 0 || "$PULL_IMAGES" == 1 ]] || die "PULL_IMAGES must be 0 or 1 (got '${PULL_IMAGES}')"
[[ -z "$ROOT" || "$ROOT" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "K8SB_PREPARE_ROOT must be an absolute path (got '${ROOT}')"
MINOR_NUMBER="${K8S_MINOR#1.}"

[[ "$(id -u)" == 0 ]] || die "must run as root (use: sudo -n env K8S_VERSION=... bash prepare-node.sh)"

# ---------------------------------------------------------------- helpers
CHANGED=0
# write_if_changed PATH MODE CONTENT: writes only when the content differs; sets CHANGED=1 then.
write_if_changed() {
  local path="$ROOT$1" mode="$2" content="$3"
  CHANGED=0
  if [[ -f "$path" ]] && [[ "$(cat "$path")" == "$content" ]]; then
    return 0
  fi
  mkdir -p "${path%/*}"
  printf '%s\n' "$content" >"$path.k8sb-tmp"
  chmod "$mode" "$path.k8sb-tmp"
  mv "$path.k8sb-tmp" "$path"
  CHANGED=1
}

# shellcheck disable=SC2016 # ${Version} is dpkg-query's format, not a shell expansion
installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

APT_UPDATED=0
apt_update_once() {
  if [[ "$APT_UPDATED" == 0 ]]; then
    apt-get update
    APT_UPDATED=1
  fi
}

# install_missing PKG...: installs those of PKG that are not installed yet.
install_missing() {
  local pkg missing=()
  for pkg in "$@"; do
    [[ -n "$(installed_version "$pkg")" ]] || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    skip "installed: $*"
    return 0
  fi
  apt_update_once
  apt-get install -y "${missing[@]}"
}

# fetch_key URL KEYRING: (re)writes a dearmored apt key.
fetch_key() {
  install -d -m 0755 "$ROOT/etc/apt/keyrings"
  curl -fsSL "$1" | gpg --dearmor --batch --yes -o "$ROOT$2"
  chmod 0644 "$ROOT$2"
}

# version_newer A B: true when version A (1.Y.Z, any "-rev" suffix ignored) is newer than B.
version_newer() {
  local -a a b
  IFS=. read -r -a a <<<"${1%%-*}"
  IFS=. read -r -a b <<<"${2%%-*}"
  local i
  for i in 0 1 2; do
    ((10#${a[i]:-0} > 10#${b[i]:-0})) && return 0
    ((10#${a[i]:-0} < 10#${b[i]:-0})) && return 1
  done
  return 1
}

service_enabled() { [[ "$(systemctl is-enabled "$1" 2>/dev/null || true)" == enabled ]]; }
service_active() { [[ "$(systemctl is-active "$1" 2>/dev/null || true)" == active ]]; }

# ---------------------------------------------------------------- cgroup v2
say "Checking cgroup v2"
CGROUP_FS="$(stat -fc %T "$ROOT/sys/fs/cgroup/" 2>/dev/null || true)"
if [[ "$CGROUP_FS" == cgroup2fs ]]; then
  skip "cgroup v2 (cgroup2fs)"
elif ((MINOR_NUMBER >= 35)); then
  die "Kubernetes ${K8S_MINOR} needs cgroup v2, but /sys/fs/cgroup is '${CGROUP_FS:-unknown}'. Use Ubuntu 22.04+ or boot with systemd.unified_cgroup_hierarchy=1."
else
  printf 'prepare-node: WARNING: cgroup v1 (%s); Kubernetes 1.35+ will refuse this host\n' "${CGROUP_FS:-unknown}" >&2
fi

# ---------------------------------------------------------------- kernel modules
say "Kernel modules overlay, br_netfilter"
write_if_changed /etc/modules-load.d/k8s.conf 0644 $'overlay\nbr_netfilter'
for module in overlay br_netfilter; do
  if [[ -d "$ROOT/sys/module/$module" ]]; then
    skip "module $module loaded"
  else
    modprobe "$module"
  fi
done

# ---------------------------------------------------------------- sysctls
say "sysctls for Kubernetes networking"
write_if_changed /etc/sysctl.d/k8s.conf 0644 $'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1'
if [[ "$CHANGED" == 1 || "$(sysctl -n net.ipv4.ip_forward 2>/dev/null || true)" != 1 ]]; then
  sysctl --system
else
  skip "sysctls applied"
fi

# ---------------------------------------------------------------- swap
say "Swap off"
if [[ -r "$ROOT/proc/swaps" ]] && [[ -n "$(awk 'NR > 1' "$ROOT/proc/swaps")" ]]; then
  swapoff -a
else
  skip "no active swap"
fi
if [[ -f "$ROOT/etc/fstab" ]] && [[ -n "$(awk '$1 !~ /^#/ && $3 == "swap"' "$ROOT/etc/fstab")" ]]; then
  awk '{ if ($1 !~ /^#/ && $3 == "swap") print "# " $0; else print }' "$ROOT/etc/fstab" >"$ROOT/etc/fstab.k8sb-tmp"
  mv "$ROOT/etc/fstab.k8sb-tmp" "$ROOT/etc/fstab"
  printf '    commented out swap in /etc/fstab\n'
else
  skip "no swap in /etc/fstab"
fi

# ---------------------------------------------------------------- apt prerequisites
say "apt prerequisites"
# apt-transport-https is an empty transitional package since apt 1.5 (Ubuntu 18.04, Debian 10).
install_missing ca-certificates curl gpg

# ---------------------------------------------------------------- pkgs.k8s.io repository of the minor
say "pkgs.k8s.io repository v${K8S_MINOR}"
K8S_KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
K8S_REPO="https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/"
write_if_changed /etc/apt/sources.list.d/kubernetes.list 0644 "deb [signed-by=${K8S_KEYRING}] ${K8S_REPO} /"
if [[ "$CHANGED" == 1 || ! -s "$ROOT$K8S_KEYRING" ]]; then
  # The key is fetched from the same minor path that the list names (kubernetes-facts.md §2).
  fetch_key "${K8S_REPO}Release.key" "$K8S_KEYRING"
  APT_UPDATED=0
else
  skip "repository configured"
fi

# ---------------------------------------------------------------- container runtime
if [[ "$RUNTIME" == containerd ]]; then
  say "containerd with SystemdCgroup"
  install_missing containerd
  DEFAULT_CONFIG="$(containerd config default)"
  # containerd 2.x writes `version = 3`; Kubernetes 1.36+ needs containerd >= 2.0 (kubernetes-facts.md §3).
  CONFIG_VERSION="$(printf '%s\n' "$DEFAULT_CONFIG" | awk -F'= *' '/^version *=/ { print $2; exit }')"
  if [[ "${CONFIG_VERSION:-0}" -lt 3 ]] && ((MINOR_NUMBER >= 36)); then
    die "containerd 2.x is required for Kubernetes ${K8S_MINOR}, but the installed containerd writes config version '${CONFIG_VERSION:-unknown}'"
  fi
  WANTED_CONFIG="$(printf '%s\n' "$DEFAULT_CONFIG" | sed -E 's/^([[:space:]]*)SystemdCgroup = false/\1SystemdCgroup = true/')"
  grep -q 'SystemdCgroup = true' <<<"$WANTED_CONFIG" || die "containerd's default config has no SystemdCgroup setting to enable"
  write_if_changed /etc/containerd/config.toml 0644 "$WANTED_CONFIG"
  if [[ "$CHANGED" == 1 ]] || ! service_active containerd; then
    systemctl restart containerd
  else
    skip "containerd configured and running"
  fi
  service_enabled containerd || systemctl enable containerd
else
  say "CRI-O v${K8S_MINOR}"
  CRIO_KEYRING=/etc/apt/keyrings/cri-o-apt-keyring.gpg
  CRIO_REPO="https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v${K8S_MINOR}/deb/"
  write_if_changed /etc/apt/sources.list.d/cri-o.list 0644 "deb [signed-by=${CRIO_KEYRING}] ${CRIO_REPO} /"
  if [[ "$CHANGED" == 1 || ! -s "$ROOT$CRIO_KEYRING" ]]; then
    fetch_key "${CRIO_REPO}Release.key" "$CRIO_KEYRING"
    APT_UPDATED=0
  fi
  install_missing cri-o
  service_enabled crio || systemctl enable crio
  service_active crio || systemctl start crio
fi

# ---------------------------------------------------------------- kubelet, kubeadm, kubectl (held)
say "kubelet, kubeadm, kubectl ${K8S_VERSION}"
KUBE_PACKAGES=(kubelet kubeadm kubectl)
NEEDS_INSTALL=0
for pkg in "${KUBE_PACKAGES[@]}"; do
  current="$(installed_version "$pkg")"
  if [[ "$current" != "${K8S_VERSION}-"* ]]; then
    NEEDS_INSTALL=1
    # Kubernetes does not support package downgrades; refuse rather than pass --allow-downgrades.
    if [[ -n "$current" ]] && version_newer "$current" "$K8S_VERSION"; then
      die "$pkg $current is newer than the requested ${K8S_VERSION}; downgrades are not supported"
    fi
  fi
done
if [[ "$NEEDS_INSTALL" == 1 ]]; then
  apt_update_once
  HELD="$(apt-mark showhold 2>/dev/null || true)"
  INSTALL_FLAGS=(-y)
  for pkg in "${KUBE_PACKAGES[@]}"; do
    if grep -qx "$pkg" <<<"$HELD"; then
      INSTALL_FLAGS+=(--allow-change-held-packages)
      break
    fi
  done
  apt-get install "${INSTALL_FLAGS[@]}" "kubelet=${K8S_VERSION}-*" "kubeadm=${K8S_VERSION}-*" "kubectl=${K8S_VERSION}-*"
else
  skip "kubelet, kubeadm, kubectl ${K8S_VERSION} installed"
fi
HELD="$(apt-mark showhold 2>/dev/null || true)"
TO_HOLD=()
for pkg in "${KUBE_PACKAGES[@]}"; do
  grep -qx "$pkg" <<<"$HELD" || TO_HOLD+=("$pkg")
done
if [[ ${#TO_HOLD[@]} -gt 0 ]]; then
  apt-mark hold "${TO_HOLD[@]}"
else
  skip "packages held"
fi
if service_enabled kubelet; then
  skip "kubelet enabled"
else
  systemctl enable kubelet
fi

# ---------------------------------------------------------------- control-plane images (optional)
if [[ "$PULL_IMAGES" == 1 ]]; then
  say "Pulling control-plane images v${K8S_VERSION}"
  PULLED_MARKER="$ROOT/etc/k8s-bootstrap/images-pulled"
  if [[ -f "$PULLED_MARKER" ]] && [[ "$(cat "$PULLED_MARKER")" == "version=${K8S_VERSION}" ]]; then
    skip "images already pulled"
  else
    kubeadm config images pull --kubernetes-version "v${K8S_VERSION}"
    write_if_changed /etc/k8s-bootstrap/images-pulled 0644 "version=${K8S_VERSION}"
  fi
fi

# ---------------------------------------------------------------- done
write_if_changed /etc/k8s-bootstrap/prepared 0644 "version=${K8S_VERSION} runtime=${RUNTIME}"
say "Node prepared: version=${K8S_VERSION} runtime=${RUNTIME}"

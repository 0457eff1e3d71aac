#!/usr/bin/env bash
# prepare-node.sh: makes an Ubuntu 22.04/24.04 or Debian 12/13 machine ready for kubeadm, the way
# the Kubernetes docs do it. Used by Packer (image builds) and over SSH for static nodes and for
# upgrades, so it depends on neither.
#
# Idempotent: every step looks before it acts, so a second run changes nothing.
# Runs as root. Inputs (environment):
#   K8S_VERSION   1.Y.Z              (required) kubelet/kubeadm/kubectl version to install and hold
#   K8S_MINOR     1.Y                (optional, must match K8S_VERSION) pkgs.k8s.io repository minor
#   RUNTIME       containerd|cri-o   (default containerd)
#   PULL_IMAGES   0|1                (default 0) pre-pull the control-plane images
#   RUNTIME_ONLY  0|1                (default 0) only the container runtime: an upgrade moves a node
#                                    to containerd 2.x before its kubelet goes to 1.38 or later
#   SKIP_IF_PREPARED  0|1            (default 0) stop at once, printing "k8sb-prepare: already prepared",
#                                    when the marker below names this version and runtime (the check
#                                    and the work in one SSH command)
#   K8SB_PREPARE_ROOT  absolute dir  (tests only, default empty) prefix for every file path
# Last step writes /etc/k8s-bootstrap/prepared: "version=<K8S_VERSION> runtime=<RUNTIME>".
#
# containerd is always 2.x: the kubelet drops containerd 1.x in 1.38 (KEP-4033; kubernetes-facts.md
# §3), and 2.x tells the kubelet its cgroup driver. It is the distribution's package when the
# archive has 2.x (Ubuntu noble-updates), else Docker's `containerd.io` (Debian 12/13 ship 1.6/1.7).
# A host that already runs Docker keeps its containerd.io (Docker CE depends on it), and a
# config.toml with settings of its own keeps them: only the keys Kubernetes needs are set, after a
# backup (kubernetes.io/docs/setup/production-environment/container-runtimes/#containerd).
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
RUNTIME_ONLY="${RUNTIME_ONLY:-0}"
SKIP_IF_PREPARED="${SKIP_IF_PREPARED:-0}"
ROOT="${K8SB_PREPARE_ROOT:-}"

[[ "$K8S_VERSION" =~ ^1\.[0-9]{1,3}\.[0-9]{1,3}$ ]] ||
  die "K8S_VERSION must look like 1.36.2 (got '${K8S_VERSION}')"
DERIVED_MINOR="${K8S_VERSION%.*}"
K8S_MINOR="${K8S_MINOR:-$DERIVED_MINOR}"
[[ "$K8S_MINOR" =~ ^1\.[0-9]{1,3}$ ]] || die "K8S_MINOR must look like 1.36 (got '${K8S_MINOR}')"
[[ "$K8S_MINOR" == "$DERIVED_MINOR" ]] || die "K8S_MINOR ${K8S_MINOR} does not match K8S_VERSION ${K8S_VERSION}"
[[ "$RUNTIME" == containerd || "$RUNTIME" == cri-o ]] || die "RUNTIME must be containerd or cri-o (got '${RUNTIME}')"
[[ "$PULL_IMAGES" == 0 || "$PULL_IMAGES" == 1 ]] || die "PULL_IMAGES must be 0 or 1 (got '${PULL_IMAGES}')"
[[ "$RUNTIME_ONLY" == 0 || "$RUNTIME_ONLY" == 1 ]] || die "RUNTIME_ONLY must be 0 or 1 (got '${RUNTIME_ONLY}')"
[[ "$SKIP_IF_PREPARED" == 0 || "$SKIP_IF_PREPARED" == 1 ]] || die "SKIP_IF_PREPARED must be 0 or 1 (got '${SKIP_IF_PREPARED}')"
[[ -z "$ROOT" || "$ROOT" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "K8SB_PREPARE_ROOT must be an absolute path (got '${ROOT}')"
MINOR_NUMBER="${K8S_MINOR#1.}"

[[ "$(id -u)" == 0 ]] || die "must run as root (use: sudo -n env K8S_VERSION=... bash prepare-node.sh)"

# A node prepared for this version and runtime (an image, an earlier run): the same judgement as
# the marker check k8s-bootstrap makes on its own, made here so it costs no SSH command of its own.
PREPARED_LINE="version=${K8S_VERSION} runtime=${RUNTIME}"
if [[ "$SKIP_IF_PREPARED" == 1 && -f "$ROOT/etc/k8s-bootstrap/prepared" ]] && [[ "$(<"$ROOT/etc/k8s-bootstrap/prepared")" == "$PREPARED_LINE" ]]; then
  printf 'k8sb-prepare: already prepared (%s)\n' "$PREPARED_LINE"
  exit 0
fi

# ---------------------------------------------------------------- helpers
CHANGED=0
# write_if_changed PATH MODE CONTENT: writes only when the content differs; sets CHANGED=1 then.
write_if_changed() {
  local path="$ROOT$1" mode="$2" content="$3"
  CHANGED=0
  # $(<file) and [[ -d ]] are bash's own: on a hundred nodes prepared at once every process counts.
  if [[ -f "$path" ]] && [[ "$(<"$path")" == "$content" ]]; then
    return 0
  fi
  [[ -d "${path%/*}" ]] || mkdir -p "${path%/*}"
  printf '%s\n' "$content" >"$path.k8sb-tmp"
  chmod "$mode" "$path.k8sb-tmp"
  mv "$path.k8sb-tmp" "$path"
  CHANGED=1
}

# installed_version PKG: the installed version of PKG, empty when it is not installed. The
# packages this script asks about are read with one dpkg-query for all of them
# (read_package_versions: at the start and after the apt-get install), where each question was
# a process of its own: twelve per node, and on a hundred nodes prepared at once those processes
# are what the preparation waits for. Any other package is asked about on its own.
# The same query gives each package's dpkg status (db:Status-Abbrev, dpkg-query(1): desired
# action u/i/h/r/p, then the package status, then the error flag): "installed" is a package
# status of i (or W/t, installed with triggers pending), so a package removed but not purged
# ("rc", which still has a Version) counts as missing; "held" is the desired action h, which
# is what `apt-mark hold` sets, so no apt-mark process is needed to ask.
QUERIED_PACKAGES=(ca-certificates curl gpg containerd containerd.io docker.io cri-o kubelet kubeadm kubectl)
declare -A PACKAGE_VERSION=() PACKAGE_HELD=()
read_package_versions() {
  # One line per package dpkg knows ("<name>|<version>|<status>", "|" because a version never
  # holds one and an empty field must stay a field); exit 1 and a message on stderr for those it
  # does not know. Parsed by bash itself: no process per question.
  local name version status
  PACKAGE_VERSION=()
  PACKAGE_HELD=()
  while IFS='|' read -r name version status; do
    [[ -n "$name" ]] || continue
    if [[ "${status:1:1}" == [iWt] ]]; then PACKAGE_VERSION[$name]="$version"; fi
    if [[ "${status:0:1}" == h ]]; then PACKAGE_HELD[$name]=1; fi
  done < <(
    # shellcheck disable=SC2016 # dpkg-query's format, not shell expansions
    dpkg-query -W -f='${Package}|${Version}|${db:Status-Abbrev}\n' "${QUERIED_PACKAGES[@]}" 2>/dev/null || true
  )
}
queried() {
  local candidate
  for candidate in "${QUERIED_PACKAGES[@]}"; do [[ "$candidate" != "$1" ]] || return 0; done
  return 1
}
installed_version() {
  local pkg="$1"
  if queried "$pkg"; then
    printf '%s' "${PACKAGE_VERSION[$pkg]:-}"
    return 0
  fi
  # shellcheck disable=SC2016 # dpkg-query's format, not shell expansions
  dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$pkg" 2>/dev/null | awk 'substr($1, 2, 1) ~ /[iWt]/ { print $2 }' || true
}
# is_held PKG (one of QUERIED_PACKAGES): dpkg's desired action for it is hold.
is_held() { [[ -n "${PACKAGE_HELD[$1]:-}" ]]; }

# upstream_version V: "1:2.2.1-0ubuntu1~24.04.3" -> "2.2.1", "1.6.20~ds1-1" -> "1.6.20".
upstream_version() {
  local v="${1#*:}"
  printf '%s' "${v%%[-~+]*}"
}

# version_newer A B: true when version A (packaging suffixes ignored) is newer than B.
version_newer() {
  local -a a b
  IFS=. read -r -a a <<<"$(upstream_version "$1")"
  IFS=. read -r -a b <<<"$(upstream_version "$2")"
  local i
  for i in 0 1 2; do
    ((10#${a[i]:-0} > 10#${b[i]:-0})) && return 0
    ((10#${a[i]:-0} < 10#${b[i]:-0})) && return 1
  done
  return 1
}

# at_least_2 V: the package version V is 2.0 or newer.
at_least_2() { [[ -n "$1" ]] && ! version_newer 2.0.0 "$1"; }

# After boot, unattended-upgrades and apt-daily hold apt's locks for minutes. DPkg::Lock::Timeout
# (apt >= 2.0) makes apt-get wait for the dpkg lock; `apt-get update` takes the lists lock without
# waiting whatever the option says (apt-pkg/acquire.cc), so it gets a retry loop of its own.
APT_LOCK_WAIT_S=600
# After an install the package versions are read again (installed_version); a failure returns apt-get's exit code.
apt_get() { apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT_S" "$@" || return; [[ "${1:-}" != install ]] || read_package_versions; }

apt_update() {
  local attempt output
  for ((attempt = 1; ; attempt++)); do
    if output="$(apt_get update 2>&1)"; then
      printf '%s\n' "$output"
      return 0
    fi
    if ! grep -q 'Could not get lock' <<<"$output" || ((attempt * 5 >= APT_LOCK_WAIT_S)); then
      printf '%s\n' "$output" >&2
      die "apt-get update failed"
    fi
    printf '    apt lists are locked by another process (apt-daily?), retrying in 5s\n'
    sleep 5
  done
}

APT_UPDATED=0
apt_update_once() {
  if [[ "$APT_UPDATED" == 0 ]]; then
    apt_update
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
  apt_get install -y "${missing[@]}"
}

# fetch_key URL KEYRING: (re)writes a dearmored apt key.
fetch_key() {
  install -d -m 0755 "$ROOT/etc/apt/keyrings"
  curl -fsSL "$1" | gpg --dearmor --batch --yes -o "$ROOT$2"
  chmod 0644 "$ROOT$2"
}

service_enabled() { [[ "$(systemctl is-enabled "$1" 2>/dev/null || true)" == enabled ]]; }
service_active() { [[ "$(systemctl is-active "$1" 2>/dev/null || true)" == active ]]; }

# os_release_field NAME: a field of /etc/os-release, read as data (never sourced).
os_release_field() {
  sed -n "s/^$1=//p" "$ROOT/etc/os-release" 2>/dev/null | head -n 1 | tr -d '"'"'"
}

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
SWAPS=()
[[ ! -r "$ROOT/proc/swaps" ]] || mapfile -t SWAPS <"$ROOT/proc/swaps"
if ((${#SWAPS[@]} > 1)); then
  swapoff -a
else
  skip "no active swap"
fi
# An fstab swap entry: a line whose first field is not a comment and whose type (third field) is swap.
fstab_has_swap() {
  local device type rest
  # `|| [[ -n $device ]]`: a last line without a newline is read too.
  while read -r device _ type rest || [[ -n "$device" ]]; do
    if [[ -n "$device" && "$device" != \#* && "$type" == swap ]]; then return 0; fi
  done <"$ROOT/etc/fstab"
  return 1
}
if [[ -f "$ROOT/etc/fstab" ]] && fstab_has_swap; then
  awk '{ if ($1 !~ /^#/ && $3 == "swap") print "# " $0; else print }' "$ROOT/etc/fstab" >"$ROOT/etc/fstab.k8sb-tmp"
  mv "$ROOT/etc/fstab.k8sb-tmp" "$ROOT/etc/fstab"
  printf '    commented out swap in /etc/fstab\n'
else
  skip "no swap in /etc/fstab"
fi

# ---------------------------------------------------------------- apt prerequisites
say "apt prerequisites"
read_package_versions
# apt-transport-https is an empty transitional package since apt 1.5 (Ubuntu 18.04, Debian 10).
install_missing ca-certificates curl gpg

# ---------------------------------------------------------------- pkgs.k8s.io repository of the minor
if [[ "$RUNTIME_ONLY" == 0 ]]; then
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
fi

# ---------------------------------------------------------------- container runtime package
# Docker's repository as Docker's install docs set it up (docs.docker.com/engine/install/ubuntu,
# /debian): the armored key as /etc/apt/keyrings/docker.asc and a deb822 docker.sources. A host
# that lists the repository already keeps its own entry: a second one with another Signed-By makes
# every apt command fail ("Conflicting values set for option Signed-By").
ensure_docker_repo() {
  if grep -qsE '^[^#]*https?://download\.docker\.com/linux/' "$ROOT/etc/apt/sources.list" "$ROOT"/etc/apt/sources.list.d/*.list "$ROOT"/etc/apt/sources.list.d/*.sources; then
    skip "Docker's apt repository is already configured on this host (its entry is kept)"
    return 0
  fi
  local id codename arch
  id="$(os_release_field ID)"
  codename="$(os_release_field UBUNTU_CODENAME)"
  [[ -n "$codename" ]] || codename="$(os_release_field VERSION_CODENAME)"
  [[ "$id" == ubuntu || "$id" == debian ]] ||
    die "containerd 2.x is needed and this host's archive has an older one; Docker's repository offers it for Ubuntu and Debian only (this host: ID=${id:-unknown}). Install containerd 2.x yourself, then run again."
  [[ "$codename" =~ ^[a-z]+$ ]] || die "/etc/os-release names no release codename (VERSION_CODENAME): cannot pick Docker's repository"
  arch="$(dpkg --print-architecture)"
  [[ "$arch" =~ ^[a-z0-9]+$ ]] || die "dpkg --print-architecture printed '${arch}'"
  say "Docker's apt repository (${id} ${codename}) for containerd.io 2.x"
  install -d -m 0755 "$ROOT/etc/apt/keyrings"
  curl -fsSL "https://download.docker.com/linux/${id}/gpg" -o "$ROOT/etc/apt/keyrings/docker.asc"
  chmod a+r "$ROOT/etc/apt/keyrings/docker.asc"
  write_if_changed /etc/apt/sources.list.d/docker.sources 0644 "Types: deb
URIs: https://download.docker.com/linux/${id}
Suites: ${codename}
Components: stable
Architectures: ${arch}
Signed-By: /etc/apt/keyrings/docker.asc"
  APT_UPDATED=0
}

# The runtime package and kubelet/kubeadm/kubectl are installed by one apt-get (as the Kubernetes
# docs' own steps would, one after the other): RUNTIME_INSTALL collects what the runtime needs.
RUNTIME_INSTALL=()

# refuse_if_held PKG: --allow-change-held-packages is for the kube packages this script holds
# itself; a runtime package someone else held stays where it is, and the run stops saying so,
# before any repository changes (apt-get alone would refuse the install too).
refuse_if_held() {
  if is_held "$1"; then
    die "$1 is held (apt-mark hold) at $(installed_version "$1"), and Kubernetes ${K8S_MINOR} needs it changed. Run 'apt-mark unhold $1' if that is fine, then run again."
  fi
}

# choose_containerd: what gives this host containerd 2.x, without installing it yet.
choose_containerd() {
  say "containerd 2.x"
  local docker_pkg distro_pkg candidate
  docker_pkg="$(installed_version containerd.io)"
  distro_pkg="$(installed_version containerd)"
  if [[ -n "$docker_pkg" ]]; then
    # Docker CE depends on containerd.io: keep the package, move it to 2.x within Docker's repository.
    if at_least_2 "$docker_pkg"; then
      skip "containerd.io $(upstream_version "$docker_pkg") (Docker's package, kept)"
      return 0
    fi
    refuse_if_held containerd.io
    ensure_docker_repo
    RUNTIME_INSTALL=(containerd.io)
  elif at_least_2 "$distro_pkg"; then
    skip "containerd $(upstream_version "$distro_pkg")"
    return 0
  else
    apt_update_once
    candidate="$(apt-cache policy containerd 2>/dev/null | awk '/Candidate:/ { print $2; exit }')"
    if [[ "$candidate" != "(none)" ]] && at_least_2 "$candidate"; then
      RUNTIME_INSTALL=(containerd)
    else
      if [[ -n "$(installed_version docker.io)" ]]; then
        die "this host runs the distribution's Docker (docker.io), which depends on its containerd ${distro_pkg:-package}; containerd 2.x (needed by Kubernetes ${K8S_MINOR} and later minors) would remove it. Move the host to Docker CE from Docker's repository (it keeps its containerd.io), or use a host without docker.io."
      fi
      printf '    the archive offers containerd %s; installing containerd.io 2.x from Docker'"'"'s repository\n' "${candidate:-none}"
      ensure_docker_repo
      RUNTIME_INSTALL=(containerd.io)
    fi
  fi
}

# check_containerd: after the install, 2.x is what is there.
check_containerd() {
  local now
  now="$(installed_version containerd.io)"
  [[ -n "$now" ]] || now="$(installed_version containerd)"
  at_least_2 "$now" || die "containerd ${now:-(none)} is installed, but 2.x is needed"
}

if [[ "$RUNTIME" == containerd ]]; then
  choose_containerd
else
  say "CRI-O v${K8S_MINOR}"
  CRIO_KEYRING=/etc/apt/keyrings/cri-o-apt-keyring.gpg
  CRIO_REPO="https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v${K8S_MINOR}/deb/"
  write_if_changed /etc/apt/sources.list.d/cri-o.list 0644 "deb [signed-by=${CRIO_KEYRING}] ${CRIO_REPO} /"
  if [[ "$CHANGED" == 1 || ! -s "$ROOT$CRIO_KEYRING" ]]; then
    fetch_key "${CRIO_REPO}Release.key" "$CRIO_KEYRING"
    APT_UPDATED=0
  fi
  if [[ -n "$(installed_version cri-o)" ]]; then skip "installed: cri-o"; else RUNTIME_INSTALL=(cri-o); fi
fi

# ---------------------------------------------------------------- kubelet, kubeadm, kubectl (held)
KUBE_PACKAGES=(kubelet kubeadm kubectl)
KUBE_INSTALL=()
INSTALL_FLAGS=(-y)
if [[ "$RUNTIME_ONLY" == 0 ]]; then
  say "kubelet, kubeadm, kubectl ${K8S_VERSION}"
  for pkg in "${KUBE_PACKAGES[@]}"; do
    current="$(installed_version "$pkg")"
    if [[ "$current" != "${K8S_VERSION}-"* ]]; then
      KUBE_INSTALL=("kubelet=${K8S_VERSION}-*" "kubeadm=${K8S_VERSION}-*" "kubectl=${K8S_VERSION}-*")
      # Kubernetes does not support package downgrades; refuse rather than pass --allow-downgrades.
      if [[ -n "$current" ]] && version_newer "$current" "$K8S_VERSION"; then
        die "$pkg $current is newer than the requested ${K8S_VERSION}; downgrades are not supported"
      fi
    fi
  done
  # Held packages (an earlier run, or the image) move only with this flag.
  for pkg in "${KUBE_PACKAGES[@]}"; do
    if [[ ${#KUBE_INSTALL[@]} -gt 0 ]] && is_held "$pkg"; then
      INSTALL_FLAGS+=(--allow-change-held-packages)
      break
    fi
  done
  [[ ${#KUBE_INSTALL[@]} -gt 0 ]] || skip "kubelet, kubeadm, kubectl ${K8S_VERSION} installed"
fi

[[ ${#RUNTIME_INSTALL[@]} -eq 0 ]] || refuse_if_held "${RUNTIME_INSTALL[0]}"
if [[ ${#RUNTIME_INSTALL[@]} -gt 0 || ${#KUBE_INSTALL[@]} -gt 0 ]]; then
  apt_update_once
  apt_get install "${INSTALL_FLAGS[@]}" "${RUNTIME_INSTALL[@]}" "${KUBE_INSTALL[@]}"
fi
[[ "$RUNTIME" != containerd ]] || check_containerd
if [[ "$RUNTIME" == cri-o ]]; then
  service_enabled crio || systemctl enable crio
  service_active crio || systemctl start crio
fi

if [[ "$RUNTIME_ONLY" == 0 ]]; then
  TO_HOLD=()
  for pkg in "${KUBE_PACKAGES[@]}"; do
    is_held "$pkg" || TO_HOLD+=("$pkg")
  done
  if [[ ${#TO_HOLD[@]} -gt 0 ]]; then
    apt-mark hold "${TO_HOLD[@]}"
  else
    skip "packages held"
  fi
fi

# ---------------------------------------------------------------- containerd configuration
# toml_set TABLE KEY VALUE: stdin -> stdout with KEY = VALUE in [TABLE] (the line replaced, or
# added at the end of the table, or the table added at the end). Table names compare with
# whitespace and quote style ignored ("a" vs 'a'), as TOML does.
toml_set() {
  awk -v table="$1" -v key="$2" -v value="$3" '
    function norm(s) { gsub(/"/, "\047", s); gsub(/[ \t]/, "", s); return s }
    function header(line,   t, c) {
      t = line; sub(/^[ \t]+/, "", t)
      if (substr(t, 1, 1) != "[" || substr(t, 1, 2) == "[[") return ""
      c = index(t, "#"); if (c > 0) t = substr(t, 1, c - 1)
      sub(/[ \t]+$/, "", t)
      return substr(t, 2, length(t) - 2)
    }
    {
      name = header($0)
      if (name != "") {
        if (inside && !done) { print indent key " = " value; done = 1 }
        inside = (norm(name) == norm(table))
        if (inside) { found = 1; match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH) "  " }
        print; next
      }
      if (inside && !done) {
        k = $0; sub(/^[ \t]+/, "", k)
        if (index(k, key) == 1 && substr(k, length(key) + 1) ~ /^[ \t]*=/) {
          match($0, /^[ \t]*/); print substr($0, 1, RLENGTH) key " = " value; done = 1; next
        }
      }
      print
    }
    END {
      if (inside && !done) { print indent key " = " value; done = 1 }
      if (!found) { print ""; print "[" table "]"; print "  " key " = " value }
    }'
}

# toml_get TABLE KEY: the raw value of KEY in [TABLE], empty when absent.
toml_get() {
  awk -v table="$1" -v key="$2" '
    function norm(s) { gsub(/"/, "\047", s); gsub(/[ \t]/, "", s); return s }
    {
      t = $0; sub(/^[ \t]+/, "", t)
      if (substr(t, 1, 1) == "[" && substr(t, 1, 2) != "[[") {
        c = index(t, "#"); if (c > 0) t = substr(t, 1, c - 1)
        sub(/[ \t]+$/, "", t)
        inside = (norm(substr(t, 2, length(t) - 2)) == norm(table)); next
      }
      if (inside && index(t, key) == 1 && substr(t, length(key) + 1) ~ /^[ \t]*=/) {
        v = substr(t, index(t, "=") + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); print v; exit
      }
    }'
}

# The top-level `version = N` (before the first table); empty when the file has none.
config_version() { awk '/^[ \t]*\[/ { exit } /^[ \t]*version[ \t]*=/ { sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t#].*$/, ""); print; exit }'; }

# The lines that say something (comments and blank lines dropped), to recognise stock files.
meaningful_lines() { sed -e 's/#.*$//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }

# Files nobody wrote by hand: Docker's containerd.io (only the CRI plugin disabled) and Debian's
# containerd package (only the CNI dir /usr/lib/cni); regenerating them loses nothing.
DOCKER_STOCK='disabled_plugins = ["cri"]'
DEBIAN_STOCK='version = 2
[plugins]
[plugins."io.containerd.grpc.v1.cri"]
[plugins."io.containerd.grpc.v1.cri".cni]
bin_dir = "/usr/lib/cni"
conf_dir = "/etc/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
path = "/var/lib/containerd/opt"'
OURS='# Written by k8s-bootstrap (prepare-node.sh) from "containerd config default".'

# edit_containerd_config TEXT PACKAGE_VERSION PAUSE: the keys Kubernetes needs, set in TEXT.
edit_containerd_config() {
  local text="$1" containerd_version minor version pause="$3" cri images cni dirs
  containerd_version="$(upstream_version "$2")"
  minor="$(cut -d. -f2 <<<"$containerd_version")"
  version="$(config_version <<<"$text")"
  [[ "$version" =~ ^[0-9]+$ ]] || die "/etc/containerd/config.toml has no 'version = 2' or 'version = 3' line (config version 1 is not supported); add the line or move the file away, then run again"
  # The CRI plugin must not be disabled (Docker's package disables it).
  text="$(awk '/^[ \t]*disabled_plugins[ \t]*=/ { gsub(/["\047](cri|io\.containerd\.grpc\.v1\.cri|io\.containerd\.cri\.v1\.(runtime|images))["\047][ \t]*,?[ \t]*/, ""); sub(/,[ \t]*\]/, "]") } { print }' <<<"$text")"
  if ((version >= 3)); then
    cri="plugins.'io.containerd.cri.v1.runtime'"
    images="plugins.'io.containerd.cri.v1.images'"
    text="$(toml_set "$cri.containerd.runtimes.runc.options" SystemdCgroup true <<<"$text")"
    cni="$cri.cni"
    if ((minor >= 1)); then
      # 2.1+ reads bin_dirs; a bin_dir next to a non-default bin_dirs stops containerd at start.
      dirs="$(toml_get "$cni" bin_dirs <<<"$text")"
      [[ "$dirs" == *"/opt/cni/bin"* ]] || text="$(toml_set "$cni" bin_dirs "['/opt/cni/bin']" <<<"$text")"
      case "$(toml_get "$cni" bin_dir <<<"$text")" in '' | "''" | '""') ;; *) text="$(toml_set "$cni" bin_dir "''" <<<"$text")" ;; esac
    else
      text="$(toml_set "$cni" bin_dir "'/opt/cni/bin'" <<<"$text")"
    fi
    [[ -z "$pause" ]] || text="$(toml_set "$images.pinned_images" sandbox "'${pause}'" <<<"$text")"
  else
    cri='plugins."io.containerd.grpc.v1.cri"'
    text="$(toml_set "$cri.containerd.runtimes.runc.options" SystemdCgroup true <<<"$text")"
    # Debian's package points containerd at /usr/lib/cni; every CNI installs its plugins to /opt/cni/bin.
    text="$(toml_set "$cri.cni" bin_dir '"/opt/cni/bin"' <<<"$text")"
    [[ -z "$pause" ]] || text="$(toml_set "$cri" sandbox_image "\"${pause}\"" <<<"$text")"
  fi
  printf '%s\n' "$text"
}

configure_containerd() {
  say "containerd configuration (SystemdCgroup, CNI plugins in /opt/cni/bin, sandbox image)"
  local file=/etc/containerd/config.toml package default current wanted pause="" own=0
  package="$(installed_version containerd.io)"
  [[ -n "$package" ]] || package="$(installed_version containerd)"
  default="$(containerd config default)"
  # The pause image kubeadm uses (its preflight warns when the runtime's differs), read as data.
  if command -v kubeadm >/dev/null 2>&1; then
    pause="$(kubeadm config images list --kubernetes-version "v${K8S_VERSION}" 2>/dev/null | grep -m 1 '/pause:' || true)"
    [[ "$pause" =~ ^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$ ]] || pause=""
  fi
  if [[ -f "$ROOT$file" ]]; then
    current="$(cat "$ROOT$file")"
    if [[ "$(head -n 1 <<<"$current")" == "$OURS" || "$current" == "$default" ]] ||
      [[ "$(meaningful_lines <<<"$current")" == "$DOCKER_STOCK" || "$(meaningful_lines <<<"$current")" == "$DEBIAN_STOCK" ]]; then
      wanted="${OURS}"$'\n'"$(edit_containerd_config "$default" "$package" "$pause")"
    else
      own=1
      wanted="$(edit_containerd_config "$current" "$package" "$pause")"
    fi
  else
    wanted="${OURS}"$'\n'"$(edit_containerd_config "$default" "$package" "$pause")"
  fi
  if [[ "$own" == 1 && "$wanted" != "$current" ]]; then
    local backup
    backup="$file.k8sb-backup-$(date -u +%Y%m%dT%H%M%SZ)"
    cp -p "$ROOT$file" "$ROOT$backup"
    printf '    %s has settings of its own: kept; set SystemdCgroup, the CNI dirs and the sandbox image only (backup: %s)\n' "$file" "$backup"
  fi
  write_if_changed "$file" 0644 "$wanted"
  if [[ "$CHANGED" == 1 ]] || ! service_active containerd; then
    if ! systemctl restart containerd; then
      journalctl -u containerd -n 20 --no-pager >&2 || true
      die "containerd does not start with ${file} (see its log above)"
    fi
  else
    skip "containerd configured and running"
  fi
}

[[ "$RUNTIME" != containerd ]] || configure_containerd

# containerd and kubelet enabled at boot with one systemctl: `enable` of a unit that is enabled
# already creates no link and prints nothing (asking first would be one process more per unit);
# --no-reload: only boot-time links change, so systemd need not reload its configuration
# (systemctl(1): enable reloads it implicitly unless --no-reload).
ENABLE_UNITS=()
[[ "$RUNTIME" != containerd ]] || ENABLE_UNITS+=(containerd)
[[ "$RUNTIME_ONLY" == 1 ]] || ENABLE_UNITS+=(kubelet)
[[ ${#ENABLE_UNITS[@]} -eq 0 ]] || systemctl enable --no-reload "${ENABLE_UNITS[@]}"

[[ "$RUNTIME_ONLY" == 0 ]] || {
  say "Container runtime ready"
  exit 0
}

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
write_if_changed /etc/k8s-bootstrap/prepared 0644 "$PREPARED_LINE"
say "Node prepared: version=${K8S_VERSION} runtime=${RUNTIME}"

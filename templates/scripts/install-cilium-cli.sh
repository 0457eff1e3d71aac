#!/usr/bin/env bash
# Installs the pinned cilium CLI on the first control plane (k8s-bootstrap), the way the
# cilium-cli README does: the release tarball and its published .sha256sum, checked with
# `sha256sum --check` before anything is installed. Idempotent: does nothing when that version
# is already installed. The version comes from src/kube/pins.ts.
set -euo pipefail

version='{{ciliumCliVersion}}'
# K8SB_CILIUM_TARGET: tests only (the binary's path).
target="${K8SB_CILIUM_TARGET:-/usr/local/bin/cilium}"

if [ -x "$target" ] && "$target" version --client 2>/dev/null | grep -q "cilium-cli: ${version}"; then
  echo "cilium CLI ${version} already installed"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "unsupported architecture: $(uname -m)" >&2; exit 1 ;;
esac

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
tarball="cilium-linux-${arch}.tar.gz"
url="https://github.com/cilium/cilium-cli/releases/download/${version}/${tarball}"
curl -fsSL -o "$tarball" "$url"
curl -fsSL -o "${tarball}.sha256sum" "${url}.sha256sum"
if ! sha256sum --check --status "${tarball}.sha256sum"; then
  echo "the cilium CLI download does not match its published sha256 (${url}.sha256sum); nothing was installed" >&2
  exit 1
fi
tar -xzf "$tarball"
install -m 0755 cilium "$target"
echo "installed cilium CLI ${version} (sha256 verified)"

#!/usr/bin/env bash
# Installs the pinned cilium CLI on the first control plane (k8s-bootstrap). Idempotent: does
# nothing when that version is already installed. Version comes from src/kube/cni.ts.
set -euo pipefail

version='{{ciliumCliVersion}}'
target=/usr/local/bin/cilium

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
curl -fsSL "https://github.com/cilium/cilium-cli/releases/download/${version}/cilium-linux-${arch}.tar.gz" -o "$workdir/cilium.tar.gz"
tar -xzf "$workdir/cilium.tar.gz" -C "$workdir"
install -m 0755 "$workdir/cilium" "$target"
echo "installed cilium CLI ${version}"

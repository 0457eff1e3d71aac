#!/usr/bin/env bash
# Installs the pinned Helm on the first control plane (k8s-bootstrap), where the add-ons are
# applied with `helm upgrade --install`. The release tarball of get.helm.sh is checked twice
# before anything is installed: against the sha256 pinned in src/kube/addons/pins.ts (the values
# below) and against the .sha256sum published next to it (github.com/helm/helm/releases: "the
# sha256sum of each tarball"; format "<hex>  <file name>", read by `sha256sum --check`).
# Idempotent: does nothing when that version is already installed.
set -euo pipefail

version='{{helmVersion}}'
sha256_amd64='{{helmSha256Amd64}}'
sha256_arm64='{{helmSha256Arm64}}'
# K8SB_HELM_TARGET: tests only (the binary's path).
target="${K8SB_HELM_TARGET:-/usr/local/bin/helm}"

# `helm version --template '{{.Version}}'` prints the bare version, e.g. v4.2.4 (helm.sh/docs/helm/helm_version).
# That {{.Version}} is Helm's own Go template: k8s-bootstrap's placeholders start with a letter.
if [ -x "$target" ] && [ "$("$target" version --template '{{.Version}}' 2>/dev/null || true)" = "$version" ]; then
  echo "helm ${version} already installed"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=amd64; expected="$sha256_amd64" ;;
  aarch64 | arm64) arch=arm64; expected="$sha256_arm64" ;;
  *) echo "unsupported architecture: $(uname -m)" >&2; exit 1 ;;
esac

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"
tarball="helm-${version}-linux-${arch}.tar.gz"
url="https://get.helm.sh/${tarball}"
curl -fsSL -o "$tarball" "$url"
curl -fsSL -o "${tarball}.sha256sum" "${url}.sha256sum"
if ! printf '%s  %s\n' "$expected" "$tarball" | sha256sum --check --status; then
  echo "the helm download (${url}) does not match the sha256 pinned by k8s-bootstrap (${expected}); nothing was installed" >&2
  exit 1
fi
if ! sha256sum --check --status "${tarball}.sha256sum"; then
  echo "the helm download does not match its published sha256 (${url}.sha256sum); nothing was installed" >&2
  exit 1
fi
tar -xzf "$tarball" "linux-${arch}/helm"
install -m 0755 "linux-${arch}/helm" "$target"
echo "installed helm ${version} (sha256 verified)"

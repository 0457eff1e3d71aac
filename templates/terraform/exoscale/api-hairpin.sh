#!/bin/sh
# Exoscale control planes only: sends this node's own connections to the API Elastic IP
# (API_ADDRESS:API_PORT) to the local kube-apiserver (NODE_ADDRESS:API_PORT) while that one is
# ready. A managed Elastic IP keeps the client's source address, so when it hands a control
# plane's own call back to that control plane, the reply arrives with a local source address and
# the kernel drops it. While the local apiserver is not ready (before kubeadm init or join, during
# a restart) nothing is redirected: the Elastic IP's health check then keeps this node out, and
# the call reaches another control plane.
#
#   k8sb-api-hairpin run    check every CHECK_INTERVAL seconds (the systemd service)
#   k8sb-api-hairpin once   check once and set the redirection accordingly
#   k8sb-api-hairpin off    remove the redirection (ExecStopPost)
#
# Uses nft when present, else iptables; the rule lives in its own table/chain.
set -eu

CONFIG=${HAIRPIN_CONFIG:-/etc/k8s-bootstrap/api-hairpin.env}
# shellcheck source=/dev/null
. "$CONFIG"
: "${API_ADDRESS:?API_ADDRESS is not set in $CONFIG}"
: "${NODE_ADDRESS:?NODE_ADDRESS is not set in $CONFIG}"
API_PORT=${API_PORT:-6443}
CHECK_INTERVAL=${CHECK_INTERVAL:-5}
TABLE=k8sb_api_hairpin
CHAIN=K8SB-API-HAIRPIN

local_api_ready() {
  curl --silent --fail --insecure --max-time 3 --output /dev/null "https://$NODE_ADDRESS:$API_PORT/readyz"
}

redirect_on() {
  if command -v nft >/dev/null 2>&1; then
    # One transaction: create-or-keep, drop, define, so a re-run leaves exactly one rule.
    nft -f - <<NFT
add table ip $TABLE
delete table ip $TABLE
table ip $TABLE {
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr $API_ADDRESS tcp dport $API_PORT dnat to $NODE_ADDRESS:$API_PORT
  }
}
NFT
  else
    iptables -w -t nat -N "$CHAIN" 2>/dev/null || true
    iptables -w -t nat -C OUTPUT -j "$CHAIN" 2>/dev/null || iptables -w -t nat -I OUTPUT -j "$CHAIN"
    iptables -w -t nat -F "$CHAIN"
    iptables -w -t nat -A "$CHAIN" -d "$API_ADDRESS" -p tcp --dport "$API_PORT" -j DNAT --to-destination "$NODE_ADDRESS:$API_PORT"
  fi
}

redirect_off() {
  if command -v nft >/dev/null 2>&1; then
    nft delete table ip "$TABLE" 2>/dev/null || true
  else
    iptables -w -t nat -F "$CHAIN" 2>/dev/null || true
  fi
}

state=unknown
check() {
  if local_api_ready; then
    if [ "$state" != on ]; then
      redirect_on
      echo "k8sb-api-hairpin: local kube-apiserver ready: $API_ADDRESS:$API_PORT -> $NODE_ADDRESS:$API_PORT"
    fi
    state=on
  else
    if [ "$state" != off ]; then
      redirect_off
      echo "k8sb-api-hairpin: local kube-apiserver not ready: $API_ADDRESS:$API_PORT goes to the Elastic IP"
    fi
    state=off
  fi
}

case "${1:-run}" in
  run)
    while :; do
      check
      sleep "$CHECK_INTERVAL"
    done
    ;;
  once) check ;;
  off) redirect_off ;;
  *)
    echo "usage: k8sb-api-hairpin run|once|off" >&2
    exit 2
    ;;
esac

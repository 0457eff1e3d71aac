#!/bin/sh
# keepalived health check (k8s-bootstrap): the API must answer through the local haproxy, and
# through the VIP when this machine holds it.
errorExit() {
    echo "*** $*" 1>&2
    exit 1
}

curl -sfk --max-time 2 https://localhost:{{frontendPort}}/readyz -o /dev/null || errorExit "Error GET https://localhost:{{frontendPort}}/readyz"
if grep -qF '{{vip}}' /proc/net/fib_trie 2>/dev/null; then
    curl -sfk --max-time 2 https://{{vip}}:{{frontendPort}}/readyz -o /dev/null || errorExit "Error GET https://{{vip}}:{{frontendPort}}/readyz"
fi

#!/bin/sh
# keepalived health check (k8s-bootstrap): the API must answer through the local haproxy, and
# through the VIP when this machine holds it.
errorExit() {
    echo "*** $*" 1>&2
    exit 1
}

curl -sfk --max-time 2 https://localhost:{{frontendPort}}/readyz -o /dev/null || errorExit "Error GET https://localhost:{{frontendPort}}/readyz"
# " VIP/" matches the address exactly: "10.0.0.1" must not match 10.0.0.10 or 10.0.0.100.
if ip -o -4 addr show 2>/dev/null | grep -qF ' {{vip}}/'; then
    curl -sfk --max-time 2 https://{{vip}}:{{frontendPort}}/readyz -o /dev/null || errorExit "Error GET https://{{vip}}:{{frontendPort}}/readyz"
fi

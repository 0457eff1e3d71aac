#!/bin/sh
# Brings up the Exoscale private-network interface(s) with DHCP (the managed network hands out the
# node's static lease) and keeps the default route on the public interface. Exoscale attaches the
# private network as a further NIC that the guest must configure itself. Its name depends on the
# template (eth1 with net.ifnames=0, ens4 or similar otherwise), so it is found, not assumed: every
# physical NIC that does not carry the default route, matched by MAC in a netplan file that
# persists across reboots. Run once by cloud-init (runcmd).
set -eu

SYS_CLASS_NET=${SYS_CLASS_NET:-/sys/class/net}
NETPLAN_FILE=${NETPLAN_FILE:-/etc/netplan/51-k8s-bootstrap-privnet.yaml}

primary=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -z "$primary" ]; then
  echo "k8sb-privnet-up: no IPv4 default route, so the public interface is unknown" >&2
  exit 1
fi

entries=""
count=0
for path in "$SYS_CLASS_NET"/*; do
  name=${path##*/}
  # Physical NICs only: lo, bridges, VXLAN and CNI devices have no device link.
  [ -e "$path/device" ] || continue
  [ "$name" = "$primary" ] && continue
  mac=$(cat "$path/address")
  entries="$entries    k8sb-privnet$count:
      match:
        macaddress: \"$mac\"
      dhcp4: true
      dhcp4-overrides:
        use-routes: false
"
  count=$((count + 1))
done

if [ "$count" -eq 0 ]; then
  echo "k8sb-privnet-up: no NIC besides $primary: the private network is not attached" >&2
  exit 1
fi

umask 077
printf 'network:\n  version: 2\n  ethernets:\n%s' "$entries" > "$NETPLAN_FILE"
netplan apply
echo "k8sb-privnet-up: DHCP on $count private interface(s), default route stays on $primary"

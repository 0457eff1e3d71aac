#!/usr/bin/env bash
# kubeadm-parallel-ssh.sh: the least a shell script does to build a kubeadm cluster over SSH, the
# yardstick of bench/scale.mjs. No checks, no resume, no retries, no verification beyond "every
# Node Ready": per node one SSH command that prepares it (the steps of the Kubernetes docs,
# "Installing kubeadm" and "Container Runtimes": swap off, overlay + br_netfilter, the three
# sysctls, containerd with the systemd cgroup driver, kubelet/kubeadm/kubectl from pkgs.k8s.io,
# held), all nodes at once with `&`; on the control plane one command for kubeadm init, the CNI
# (flannel) and `kubeadm token create --print-join-command`; per worker one `kubeadm join`, all at
# once; then `kubectl get nodes` on the control plane until every Node is Ready.
# That is 2 SSH commands per worker and a few on the control plane.
#
# The join command (with the token) is in argv here: a reference, not a tool to copy.
#
# Inputs (environment):
#   SSH_KEY        private key            SSH_USER   user (sudo without password)
#   KNOWN_HOSTS    known_hosts file of the nodes
#   CONTROL_PLANE  "address,name"         WORKERS    "address,name address,name ..."
#   K8S_MINOR      e.g. 1.37              POD_CIDR   default 10.244.0.0/16
#   READY_TIMEOUT_S  default 600
set -euo pipefail

: "${SSH_KEY:?}" "${SSH_USER:?}" "${KNOWN_HOSTS:?}" "${CONTROL_PLANE:?}" "${K8S_MINOR:?}"
WORKERS="${WORKERS:-}"
POD_CIDR="${POD_CIDR:-10.244.0.0/16}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-600}"
FLANNEL_URL="https://github.com/flannel-io/flannel/releases/download/v0.27.4/kube-flannel.yml"

on() { # on ADDRESS COMMAND [< stdin]
  ssh -n -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR "$SSH_USER@$1" "$2"
}
feed() { # feed ADDRESS COMMAND < stdin
  ssh -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR "$SSH_USER@$1" "$2"
}

PREPARE=$(cat <<EOF
set -e
export DEBIAN_FRONTEND=noninteractive
swapoff -a
modprobe overlay
modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' > /etc/sysctl.d/k8s.conf
sysctl --system >/dev/null
mkdir -p -m 0755 /etc/apt/keyrings
curl -fsSL https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/Release.key | gpg --dearmor --batch --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/ /' > /etc/apt/sources.list.d/kubernetes.list
apt-get update -q
apt-get install -y -q containerd kubelet kubeadm kubectl
apt-mark hold kubelet kubeadm kubectl
mkdir -p /etc/containerd
containerd config default > /etc/containerd/config.toml
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
systemctl restart containerd
systemctl enable --now kubelet
EOF
)

cp_address="${CONTROL_PLANE%%,*}"
cp_name="${CONTROL_PLANE#*,}"
log() { printf '%s %s\n' "$(date -u +%H:%M:%S.%N | cut -c1-12)" "$*" >&2; }

# 1. every node prepared at once
pids=()
for node in "$CONTROL_PLANE" $WORKERS; do
  feed "${node%%,*}" 'sudo -n bash -s' <<<"$PREPARE" >/dev/null &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
log "prepared"

# 2. control plane: init, CNI, join command
kubectl="kubectl --kubeconfig /etc/kubernetes/admin.conf"
join=$(on "$cp_address" "sudo -n kubeadm init --control-plane-endpoint $cp_address:6443 --pod-network-cidr $POD_CIDR --node-name $cp_name >/dev/null && sudo -n $kubectl apply -f $FLANNEL_URL >/dev/null && sudo -n kubeadm token create --print-join-command" | tail -n 1)
log "initialised"

# 3. every worker joins at once
pids=()
for node in $WORKERS; do
  ( on "${node%%,*}" "sudo -n $join --node-name ${node#*,}" >/dev/null && log "joined ${node#*,}" ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

# 4. every Node Ready
expected=$((1 + $(wc -w <<<"$WORKERS")))
deadline=$((SECONDS + READY_TIMEOUT_S))
until [ "$(on "$cp_address" "sudo -n $kubectl get nodes --no-headers" | awk '$2 == "Ready"' | wc -l)" -ge "$expected" ]; do
  ((SECONDS < deadline)) || { log "not every node Ready after ${READY_TIMEOUT_S}s"; exit 1; }
  sleep 1
done
log "all $expected nodes Ready"

# Traffic between nodes, shared by every module; k8s-bootstrap copies it next to the provider's files.
# Protocol names here are neutral ("tcp", "udp", "ipip", "all"); each module maps them to its
# provider's spelling.
locals {
  # What each CNI needs between nodes (kubernetes-facts.md section 4).
  cni_ports = {
    calico = [
      { name = "calico-bgp", protocol = "tcp", from = 179, to = 179 },
      { name = "calico-vxlan", protocol = "udp", from = 4789, to = 4789 },
      { name = "calico-ipip", protocol = "ipip", from = 0, to = 0 },
      { name = "calico-typha", protocol = "tcp", from = 5473, to = 5473 },
    ]
    flannel = [
      { name = "flannel-vxlan", protocol = "udp", from = 8472, to = 8472 },
    ]
    cilium = [
      { name = "cilium-vxlan", protocol = "udp", from = 8472, to = 8472 },
      { name = "cilium-health", protocol = "tcp", from = 4240, to = 4240 },
    ]
  }

  # Kubernetes' own ports, used instead of "all" when allow_all_between_nodes is false.
  kubernetes_ports = [
    { name = "kube-apiserver", protocol = "tcp", from = 6443, to = 6443 },
    { name = "etcd", protocol = "tcp", from = 2379, to = 2380 },
    { name = "kubelet", protocol = "tcp", from = 10250, to = 10250 },
    { name = "kube-proxy-health", protocol = "tcp", from = 10256, to = 10256 },
    { name = "nodeports-tcp", protocol = "tcp", from = 30000, to = 32767 },
    { name = "nodeports-udp", protocol = "udp", from = 30000, to = 32767 },
  ]

  # By default every node may reach every other node on any port (pods, DNS, metrics, webhooks
  # all need it); the CNI's ports are listed as well so they stay open when a team narrows the
  # rule set with allow_all_between_nodes = false.
  between_nodes = concat(
    var.allow_all_between_nodes ? [{ name = "all", protocol = "all", from = 0, to = 0 }] : local.kubernetes_ports,
    local.cni_ports[var.cni],
  )
  between_nodes_rules = { for rule in local.between_nodes : rule.name => rule }

  # NodePorts default to the admin CIDRs: publishing services to the internet is an explicit choice.
  nodeport_cidrs = var.nodeport_cidrs == null ? var.admin_cidrs : var.nodeport_cidrs
}

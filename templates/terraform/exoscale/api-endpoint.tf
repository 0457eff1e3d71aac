# The API endpoint is a MANAGED Elastic IP with an HTTPS health check on /readyz, attached to
# every control plane. Why not an NLB: an Exoscale NLB can only target an instance pool, and
# pool members share one user_data and get neither fixed names nor fixed private addresses;
# control planes need both (etcd members, certificate SANs, the kubeadm init node is special).
# The managed EIP exists before kubeadm runs, needs no address configuration in the guest ("does
# not require manual configuration", Exoscale EIP overview), sends traffic only to control planes
# whose /readyz answers, and costs less than an NLB. Two caveats:
# - Hairpin: a managed EIP keeps the client's source address, so a control plane whose own call to
#   the EIP is sent back to itself drops the reply as a martian. Control planes therefore send
#   their own calls to EIP:6443 to their local kube-apiserver, while it is ready
#   (api-hairpin.sh, k8sb-api-hairpin.service, installed by cloud-init.yaml.tftpl).
# - Health-check source: not documented for managed EIPs; see api_healthcheck in firewall.tf.
resource "exoscale_elastic_ip" "api" {
  zone        = var.zone
  description = "Kubernetes API of ${var.cluster_name}"

  healthcheck {
    mode            = "https"
    port            = 6443
    uri             = "/readyz"
    tls_skip_verify = true
    interval        = 10
    timeout         = 3
    strikes_ok      = 2
    strikes_fail    = 3
  }
}

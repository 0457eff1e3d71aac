# The API endpoint is a MANAGED Elastic IP with an HTTPS health check on /readyz, attached to
# every control plane. Why not an NLB: an Exoscale NLB can only target an instance pool, and
# pool members share one user_data and get neither fixed names nor fixed private addresses;
# control planes need both (etcd members, certificate SANs, the kubeadm init node is special).
# The managed EIP exists before kubeadm runs, needs no configuration in the guest, sends
# traffic only to control planes whose /readyz answers, and costs less than an NLB.
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

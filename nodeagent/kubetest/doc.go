// Package kubetest starts a real Kubernetes control plane for tests: etcd
// and kube-apiserver, built from source by scripts/k8s-tools.sh (make
// k8s-tools), listening on loopback ports only, with a token for an
// administrator. A test without those binaries fails with the command
// that builds them.
//
// There is no kube-controller-manager: a namespace made with Namespace
// gets its default ServiceAccount from the helper, and no pod runs unless
// a node does (a real kubelet, or a test driving pod status).
package kubetest

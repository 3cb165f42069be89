// Package simtest holds the tests of kubetest's simulated node
// (StartSimNode): pods through a real kube-apiserver, and the kubernetes
// runner run end to end on it. The tests live apart from package kubetest
// so that its own TestMain (a real node's) and this one's do not collide.
package simtest

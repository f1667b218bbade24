// Package controlplane runs a local Kubernetes control plane for the e2e
// suite, with no Docker and no kubelet: etcd, kube-apiserver and
// kube-controller-manager built from k8s.io/kubernetes (with the etcd
// server release it pins), the one node in-process (node.go: it makes pods
// Running and Ready with IPs from the node's pod ranges, as a kubelet
// would report them, and runs nothing), and istiod of the
// chosen Istio version as a process. Every process runs on loopback ports
// from one temporary folder and dies with the process that started it;
// Stop removes the folder.
//
// What is real: the API server's validation, defaulting and ClusterIP
// allocation, the controllers' EndpointSlices, ReplicaSets and pods,
// istiod's informers, its ServiceEntry address allocation, push
// debouncing and xDS. What is not: scheduling (Start binds every pending
// pod to the one node), kubelet, container images, and Envoy (see
// package xdsclient).
package controlplane

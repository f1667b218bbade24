// Package resolve turns a scenario into a World the way a kind cluster with
// Istio would: ClusterIPs, pods with IPs, EndpointSlices, creation times and
// ServiceEntry auto-allocated addresses, deterministically and with no
// cluster.
package resolve

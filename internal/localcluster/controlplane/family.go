package controlplane

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
)

// IPFamily is the address families of a control plane: the service and
// pod ranges the API server, the controller manager and the node take.
type IPFamily string

// The families a control plane can have; a dual-stack one is IPv4 first,
// as kind's dual-stack clusters are.
const (
	IPv4      IPFamily = "IPv4"
	IPv6      IPFamily = "IPv6"
	DualStack IPFamily = "DualStack"
)

// ParseIPFamily checks a family name (a scenario header's
// client.ipFamily; empty is IPv4).
func ParseIPFamily(s string) (IPFamily, error) {
	switch f := IPFamily(s); f {
	case "":
		return IPv4, nil
	case IPv4, IPv6, DualStack:
		return f, nil
	}
	return "", fmt.Errorf("IP family %q: want %s, %s or %s", s, IPv4, IPv6, DualStack)
}

// Ranges are a family's address ranges: kind's (package clusterdefaults),
// which the simulated resolver uses too, primary family first.
type Ranges struct {
	// Services hold ClusterIPs (--service-cluster-ip-range).
	Services []netip.Prefix
	// Pods are the cluster's pod ranges (--cluster-cidr); the controller
	// manager gives the one node the first /24 (IPv4) and /64 (IPv6) of
	// each.
	Pods []netip.Prefix
}

// Ranges are the family's ranges.
func (f IPFamily) Ranges() Ranges {
	var r Ranges
	if f != IPv6 {
		r.Services = append(r.Services, clusterdefaults.ServiceCIDRv4)
		r.Pods = append(r.Pods, clusterdefaults.PodCIDRv4)
	}
	if f != IPv4 {
		r.Services = append(r.Services, clusterdefaults.ServiceCIDRv6)
		r.Pods = append(r.Pods, clusterdefaults.PodCIDRv6)
	}
	return r
}

// flag joins prefixes as the Kubernetes flags take them.
func flag(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// advertiseAddress is the API server's own address, of the primary
// service family: kube-apiserver refuses a public address of another
// family than its first service range (the kubernetes Service's
// endpoints must be reachable from its ClusterIP's family).
func (f IPFamily) advertiseAddress() string {
	if f == IPv6 {
		return "::1"
	}
	return "127.0.0.1"
}

package predictor

import (
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

const (
	registryKube     = "Kubernetes"
	registryExternal = "External"
	wildcardV4       = "0.0.0.0"
	wildcardV6       = "::"
	domainSuffix     = "cluster.local"
)

// resolution is Istio's model.Resolution.
type resolution int

const (
	resClientSideLB resolution = iota
	resDNS
	resDNSRoundRobin
	resPassthrough
	resAlias
	resDynamicDNS
)

type port struct {
	Name     string
	Number   int
	Protocol protocol
	// Why explains the protocol choice.
	Why string
}

// service is Istio's model.Service, reduced to what listeners depend on.
type service struct {
	Hostname  string
	Namespace string
	// Name orders services created in the same second: a Kubernetes
	// Service's name, a ServiceEntry's host.
	Name       string
	Registry   string
	Created    time.Time
	ClusterIPs []string // Kubernetes ClusterIPs
	// DefaultAddress is the one address of a ServiceEntry service (an IP, a
	// CIDR or 0.0.0.0).
	DefaultAddress string
	AutoV4, AutoV6 string
	Resolution     resolution
	Ports          []port
	ExportTo       []string
	HasSelector    bool
	// Endpoints holds each endpoint's addresses by service port number.
	Endpoints map[int][][]string
	// Source names the manifest: "Service ns/name", "ServiceEntry ns/name".
	Source string
	// ExternalName is the host an ExternalName Service (resAlias) names.
	ExternalName string
	// Aliases are the ExternalName Services that lead to this hostname,
	// directly or through other aliases (resolveAliases).
	Aliases []*service
	// UnimportedAliases are the aliases a Sidecar's egress hosts dropped
	// from Aliases (keepImportedAliases).
	UnimportedAliases []*service
}

// kubeServices models kube.ConvertService
// (pilot/pkg/serviceregistry/kube/conversion.go) and the endpoints the
// registry builds from EndpointSlices.
func kubeServices(w *world.World) []*service {
	out := make([]*service, 0, len(w.Services))
	bySvc := slicesByService(w)
	pods := podIndex(w)
	for i := range w.Services {
		k := &w.Services[i]
		s := &service{
			Hostname:       k.Name + "." + k.Namespace + ".svc." + domainSuffix,
			Namespace:      k.Namespace,
			Name:           k.Name,
			Registry:       registryKube,
			Created:        k.CreationTimestamp.Time,
			DefaultAddress: wildcardV4,
			HasSelector:    len(k.Spec.Selector) > 0,
			Source:         "Service " + k.Namespace + "/" + k.Name,
			Ports:          make([]port, 0, len(k.Spec.Ports)),
		}
		if k.Spec.Type == corev1.ServiceTypeExternalName && k.Spec.ExternalName != "" {
			s.Resolution = resAlias
			s.ExternalName = k.Spec.ExternalName
		}
		switch {
		case k.Spec.ClusterIP == corev1.ClusterIPNone:
			s.Resolution = resPassthrough
		case k.Spec.ClusterIP != "":
			s.ClusterIPs = []string{k.Spec.ClusterIP}
			if len(k.Spec.ClusterIPs) > 1 {
				s.ClusterIPs = k.Spec.ClusterIPs
			}
			s.DefaultAddress = s.ClusterIPs[0]
		}
		if v := k.Annotations["networking.istio.io/exportTo"]; v != "" {
			for _, ns := range strings.Split(v, ",") {
				s.ExportTo = append(s.ExportTo, strings.TrimSpace(ns))
			}
		}
		for _, p := range k.Spec.Ports {
			proto, why := kubeProtocol(p.Port, p.Name, string(p.Protocol), p.AppProtocol)
			s.Ports = append(s.Ports, port{Name: p.Name, Number: int(p.Port), Protocol: proto, Why: why})
		}
		s.Endpoints = sliceEndpoints(k, bySvc[k.Namespace+"/"+k.Name], pods)
		out = append(out, s)
	}
	return out
}

// sliceEndpoints pairs the endpoints of a Service's EndpointSlices with its
// ports by port name, keeping one endpoint per first address and port: the
// registry's endpoint cache lists an address once per port however many
// slices name it (the EndpointSlice controller's slice and a hand-written
// one for the same pods, or an endpoint moving between slices). An
// endpoint's addresses are as sliceEndpointAddresses gives them.
func sliceEndpoints(k *corev1.Service, slices []*discoveryv1.EndpointSlice, pods map[string]*corev1.Pod) map[int][][]string {
	out := map[int][][]string{}
	seen := map[int]map[string]bool{}
	for _, es := range slices {
		for _, sp := range k.Spec.Ports {
			if !slicePortMatches(es.Ports, sp.Name) {
				continue
			}
			n := int(sp.Port)
			for i := range es.Endpoints {
				addrs, ok := sliceEndpointAddresses(k, es, &es.Endpoints[i], pods)
				if !ok {
					continue
				}
				if len(addrs) > 0 {
					if seen[n] == nil {
						seen[n] = map[string]bool{}
					}
					if seen[n][addrs[0]] {
						continue
					}
					seen[n][addrs[0]] = true
				}
				out[n] = append(out[n], addrs)
			}
		}
	}
	return out
}

// sliceEndpointAddresses models the pod lookup of
// updateEndpointCacheForSlice for one endpoint: one whose targetRef names
// a pod istiod does not know is left out (false). Under ISTIO_DUAL_STACK
// (without it pods holds no pod, only names), for a Service with several
// ClusterIPs, an
// endpoint of a pod with several addresses has all of them, in the pod's
// order, and the same pod's endpoint in an IPv6 slice is left out, so the
// pod is one endpoint: a listener per endpoint (a ServiceEntry sharing
// the Service's endpoints) binds the first address and carries the others
// as additional addresses. A headless Service's only ClusterIP is "None":
// its endpoints stay one per address.
func sliceEndpointAddresses(k *corev1.Service, es *discoveryv1.EndpointSlice, ep *discoveryv1.Endpoint, pods map[string]*corev1.Pod) ([]string, bool) {
	ref := ep.TargetRef
	if ref == nil || ref.Kind != "Pod" {
		return ep.Addresses, true
	}
	key := ref.Namespace + "/" + ref.Name
	pod, known := pods[key]
	if !known {
		return nil, false
	}
	if pod == nil || len(k.Spec.ClusterIPs) < 2 || len(pod.Status.PodIPs) < 2 {
		return ep.Addresses, true
	}
	if es.AddressType == discoveryv1.AddressTypeIPv6 {
		return nil, false
	}
	out := make([]string, 0, len(pod.Status.PodIPs))
	for _, ip := range pod.Status.PodIPs {
		out = append(out, ip.IP)
	}
	return out, true
}

// podIndex holds the World's pods by "namespace/name", for the targetRefs
// of EndpointSlice endpoints. Without ISTIO_DUAL_STACK only whether a pod
// exists matters, and each value is nil.
func podIndex(w *world.World) map[string]*corev1.Pod {
	dual := envTrue(w, "ISTIO_DUAL_STACK")
	out := make(map[string]*corev1.Pod, len(w.Pods))
	for i := range w.Pods {
		p := &w.Pods[i]
		if dual {
			out[p.Namespace+"/"+p.Name] = p
		} else {
			out[p.Namespace+"/"+p.Name] = nil
		}
	}
	return out
}

// slicesByService indexes the World's EndpointSlices by the
// "namespace/name" of their Service, keeping their order: looking them up
// for each Service would be quadratic.
func slicesByService(w *world.World) map[string][]*discoveryv1.EndpointSlice {
	out := map[string][]*discoveryv1.EndpointSlice{}
	for i := range w.EndpointSlices {
		es := &w.EndpointSlices[i]
		key := es.Namespace + "/" + es.Labels["kubernetes.io/service-name"]
		out[key] = append(out[key], es)
	}
	return out
}

func slicePortMatches(ports []discoveryv1.EndpointPort, name string) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Name != nil && *p.Name == name || p.Name == nil && name == "" {
			return true
		}
	}
	return false
}

// serviceEntryServices models convertServices
// (pilot/pkg/serviceregistry/serviceentry/conversion.go): one service per
// host and address (1.25 and later; up to 1.24 one service per host holding
// every address as its VIPs); a /32 (or /128) CIDR becomes a plain IP; no
// address gives 0.0.0.0, plus the controller's allocated addresses from
// status.
func serviceEntryServices(w *world.World, controllerAllocates bool, v versions.Version) []*service {
	var out []*service
	for _, se := range w.ServiceEntries {
		spec := &se.Spec
		res := entryResolution(spec.Resolution)
		ports := entryPorts(spec.Ports)
		auto := allocatedAddresses(se, res, controllerAllocates)
		endpoints := serviceEntryEndpoints(w, se)
		for _, h := range spec.Hosts {
			addrs, vips := hostAddresses(spec.Addresses, v)
			for _, a := range addrs {
				s := &service{
					Hostname: h, Namespace: se.Namespace, Name: h, Registry: registryExternal,
					Created: se.CreationTimestamp.Time, DefaultAddress: a, Resolution: res, Ports: ports,
					ExportTo: spec.ExportTo, HasSelector: spec.WorkloadSelector != nil,
					Source: "ServiceEntry " + se.Namespace + "/" + se.Name, Endpoints: map[int][][]string{},
					ClusterIPs: vips,
				}
				if a == wildcardV4 {
					s.AutoV4, s.AutoV6 = byFamily(auto[h])
				}
				eps := endpoints
				if len(eps) == 0 && spec.WorkloadSelector == nil && (res == resDNS || res == resDNSRoundRobin) {
					// convertServiceEntryToInstances: a DNS entry without
					// endpoints has its host as its one endpoint.
					eps = [][]string{{h}}
				}
				for _, p := range ports {
					s.Endpoints[p.Number] = eps
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// entryResolution is the model resolution of a ServiceEntry's.
func entryResolution(r apiv1alpha3.ServiceEntry_Resolution) resolution {
	switch r {
	case apiv1alpha3.ServiceEntry_NONE:
		return resPassthrough
	case apiv1alpha3.ServiceEntry_DNS:
		return resDNS
	case apiv1alpha3.ServiceEntry_DNS_ROUND_ROBIN:
		return resDNSRoundRobin
	case apiv1alpha3.ServiceEntry_DYNAMIC_DNS:
		return resDynamicDNS
	}
	return resClientSideLB
}

// entryPorts are a ServiceEntry's ports with their declared protocols; one
// that names no protocol is auto-detected.
func entryPorts(ps []*apiv1alpha3.ServicePort) []port {
	var ports []port
	for _, p := range ps {
		proto := parseProtocol(p.Protocol)
		why := "protocol " + quote(p.Protocol)
		if proto == pUnsupported {
			why += " names no protocol: auto-detect"
		}
		ports = append(ports, port{Name: p.Name, Number: int(p.Number), Protocol: proto, Why: why})
	}
	return ports
}

// allocatedAddresses are the addresses the controller allocated to a
// ServiceEntry (its status), by host: only for an entry without addresses
// nor resolution NONE that does not opt out by label.
func allocatedAddresses(se *networkingv1.ServiceEntry, res resolution, controllerAllocates bool) map[string][]string {
	auto := map[string][]string{}
	if controllerAllocates && len(se.Spec.Addresses) == 0 && res != resPassthrough && !strings.EqualFold(se.Labels["networking.istio.io/enable-autoallocate-ip"], "false") {
		for _, a := range se.Status.GetAddresses() {
			auto[a.Host] = append(auto[a.Host], a.Value)
		}
	}
	return auto
}

// hostAddresses are the addresses a host of a ServiceEntry gets one
// service each for, and the VIPs of that service: a /32 (or /128) CIDR is
// a plain IP, no address gives 0.0.0.0; up to 1.24 one service holds every
// address as its VIPs.
func hostAddresses(declared []string, v versions.Version) (addrs, vips []string) {
	for _, a := range declared {
		if p, err := netip.ParsePrefix(a); err == nil && p.Bits() == p.Addr().BitLen() {
			a = p.Addr().String()
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		addrs = []string{wildcardV4}
	}
	if !v.ServiceEntryServicePerAddress() && addrs[0] != wildcardV4 {
		vips, addrs = addrs, addrs[:1]
	}
	if v.ServiceEntryServicesByResourceName() {
		addrs = uniqueAddresses(addrs)
	}
	return addrs, vips
}

// byFamily is the last IPv4 and the last IPv6 address of addrs; anything
// that is no IP address is skipped.
func byFamily(addrs []string) (v4, v6 string) {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is4() {
			v4 = a
		} else if err == nil {
			v6 = a
		}
	}
	return v4, v6
}

// shareEndpoints models how PushContext indexes endpoints
// (initServiceRegistry's instancesByPort, EndpointShards.CopyEndpoints):
// by host and namespace, whatever the registry. Each service of a host and
// namespace, in processing order, takes from all of the pair's endpoints
// those of the ports it has (a Kubernetes endpoint by the Service port's
// name, a ServiceEntry endpoint by the entry port's number) and writes them
// by port number over what an earlier service of the pair wrote; every
// service of the pair then reads the result. So a ServiceEntry with a
// Kubernetes Service's host in its namespace has the Service's pods as
// endpoints, and the other way round.
func shareEndpoints(all []*service) {
	type shard struct {
		name   string // a Kubernetes endpoint's Service port name
		number int    // a ServiceEntry endpoint's entry port number
		addrs  [][]string
	}
	type pair struct {
		services []*service
		shards   []shard
	}
	// Only a host and namespace of two services or more changes anything:
	// count them first, without building the pairs of single services.
	type hostNamespace struct{ host, namespace string }
	count := make(map[hostNamespace]int, len(all))
	shared := false
	for _, s := range all {
		k := hostNamespace{s.Hostname, s.Namespace}
		count[k]++
		shared = shared || count[k] > 1
	}
	if !shared {
		return
	}
	pairs := map[string]*pair{}
	var order []string
	for _, s := range all {
		if count[hostNamespace{s.Hostname, s.Namespace}] < 2 {
			continue
		}
		key := s.Namespace + "/" + s.Hostname
		p := pairs[key]
		if p == nil {
			p = &pair{}
			pairs[key] = p
			order = append(order, key)
		}
		p.services = append(p.services, s)
		switch {
		case s.Registry == registryKube:
			for _, sp := range s.Ports {
				p.shards = append(p.shards, shard{name: sp.Name, addrs: s.Endpoints[sp.Number]})
			}
		default:
			// Every service of an entry (one per address) lists the
			// entry's endpoints again (convertServiceEntryToInstances).
			for _, sp := range s.Ports {
				p.shards = append(p.shards, shard{number: sp.Number, addrs: s.Endpoints[sp.Number]})
			}
		}
	}
	for _, key := range order {
		p := pairs[key]
		if len(p.services) < 2 {
			continue
		}
		index := map[int][][]string{}
		for _, s := range p.services {
			got := map[int][][]string{}
			for _, sh := range p.shards {
				if len(sh.addrs) == 0 {
					continue // a port without endpoints overwrites nothing
				}
				for _, sp := range s.Ports {
					if sh.number != 0 && sp.Number == sh.number || sh.number == 0 && sp.Name == sh.name {
						got[sp.Number] = append(got[sp.Number], sh.addrs...)
						break
					}
				}
			}
			maps.Copy(index, got)
		}
		for _, s := range p.services {
			s.Endpoints = index
		}
	}
}

// uniqueAddresses keeps the first of each address: the registry keeps a
// ServiceEntry's services by namespace, name, host and address, so an
// address listed twice (once as an IP, once as its /32) is one service.
func uniqueAddresses(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// serviceEntryEndpoints lists the endpoints of a ServiceEntry: its inline
// endpoints, or the WorkloadEntries and pods its selector picks in its
// namespace (podAddresses: a dual-stack pod's every address under
// ISTIO_DUAL_STACK).
func serviceEntryEndpoints(w *world.World, se *networkingv1.ServiceEntry) [][]string {
	var out [][]string
	for _, ep := range se.Spec.Endpoints {
		out = append(out, []string{ep.Address})
	}
	if se.Spec.WorkloadSelector == nil {
		return out
	}
	sel := labels.SelectorFromSet(se.Spec.WorkloadSelector.Labels)
	for _, we := range w.WorkloadEntries {
		if we.Namespace == se.Namespace && sel.Matches(labels.Set(we.Spec.Labels)) {
			out = append(out, []string{we.Spec.Address})
		}
	}
	for _, p := range w.Pods {
		if p.Namespace == se.Namespace && sel.Matches(labels.Set(p.Labels)) && p.Status.PodIP != "" {
			out = append(out, podAddresses(w, &p))
		}
	}
	return out
}

// podAddresses models the workload instance the pod cache hands the
// ServiceEntry registry for a pod (PodCache.notifyWorkloadHandlers): the
// pod's IP, or under ISTIO_DUAL_STACK every address of a pod with several,
// in the pod's order. A per-endpoint listener binds the first and lists
// the others as its additional addresses.
func podAddresses(w *world.World, p *corev1.Pod) []string {
	if !envTrue(w, "ISTIO_DUAL_STACK") || len(p.Status.PodIPs) < 2 {
		return []string{p.Status.PodIP}
	}
	out := make([]string, 0, len(p.Status.PodIPs))
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	return out
}

// resolveAliases models resolveServiceAliases
// (pilot/pkg/model/push_context.go): every ExternalName Service of the
// World, whatever its exportTo, is an alias of the host it names; an alias
// of an alias leads on to the first host no ExternalName Service owns, and
// a chain that comes back to a host it passed is dropped (DNS answers such
// a loop with NXDOMAIN). Hosts are matched exactly, across namespaces:
// every service with the final hostname, in any namespace and from any
// registry, gets the alias, ordered by the alias's namespace, then its
// hostname.
func resolveAliases(all []*service) {
	next := map[string]string{}
	owner := map[string]*service{}
	for _, s := range all {
		if s.Resolution == resAlias {
			next[s.Hostname] = s.ExternalName
			owner[s.Hostname] = s
		}
	}
	if len(next) == 0 {
		return
	}
	byTarget := map[string][]*service{}
	for name, a := range owner {
		target, seen := next[name], map[string]bool{name: true}
		for {
			after, isAlias := next[target]
			if !isAlias {
				byTarget[target] = append(byTarget[target], a)
				break
			}
			if seen[target] {
				break
			}
			seen[target] = true
			target = after
		}
	}
	for _, as := range byTarget {
		sort.Slice(as, func(i, j int) bool {
			if as[i].Namespace != as[j].Namespace {
				return as[i].Namespace < as[j].Namespace
			}
			return as[i].Hostname < as[j].Hostname
		})
	}
	for _, s := range all {
		s.Aliases = byTarget[s.Hostname]
	}
}

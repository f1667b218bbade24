// Package scenariogen generates small random scenarios, deterministic from a
// seed, that listenerlab fuzz checks against real pilot (Scenario).
package scenariogen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Case is a generated scenario: a header and manifests, each a JSON-shaped
// tree (map[string]any, []any, string, int, bool) exactly as a scenario
// file holds it. Trees make shrinking generic: dropping a list element or
// a map key is the same operation for every kind.
type Case struct {
	// Seed is the seed the case was generated from.
	Seed uint64
	// Header is the Scenario document without kind and name.
	Header map[string]any
	// Objects are the manifests, in file order.
	Objects []map[string]any
}

// Clone is a deep copy of c.
func (c *Case) Clone() *Case {
	out := &Case{Seed: c.Seed, Header: cloneTree(c.Header).(map[string]any)}
	for _, o := range c.Objects {
		out.Objects = append(out.Objects, cloneTree(o).(map[string]any))
	}
	return out
}

func cloneTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = cloneTree(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = cloneTree(x)
		}
		return l
	}
	return v
}

// YAML renders c as a scenario file named name; comment lines (without
// "# ") go first.
func (c *Case) YAML(name string, comment ...string) ([]byte, error) {
	var b bytes.Buffer
	for _, l := range comment {
		for _, line := range strings.Split(l, "\n") {
			b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
		}
	}
	h := map[string]any{}
	for k, v := range c.Header {
		h[k] = v
	}
	h["kind"], h["name"] = "Scenario", name
	docs := append([]map[string]any{h}, c.Objects...)
	for i, d := range docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("case %d: document %d: %w", c.Seed, i+1, err)
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// Ranges of the generator, named so the README can quote them.
const (
	// MaxServices, MaxServiceEntries, ... bound how many objects of each
	// kind a case holds (each at least 0).
	MaxServices        = 4
	MaxServiceEntries  = 3
	MaxSidecars        = 1
	MaxVirtualServices = 1
	MaxPortsPerService = 3
)

// Namespaces a case uses: the client's and two others.
var Namespaces = []string{"default", "ns1", "ns2"}

// ServicePortNumbers are the ports services use: well-known ones whose
// protocol Istio may infer, TLS and HTTP ones, and the sidecar's reserved
// ports.
var ServicePortNumbers = []int{80, 443, 3306, 5432, 6379, 8080, 9090, 9042, 27017, 15021, 15090, 53, 25}

// PortNames are Service port names: every protocol of Istio's table
// (pkg/config/protocol: prefix before '-', any case), unknown prefixes and
// no name.
var PortNames = []string{"", "http", "http-web", "HTTP-x", "http2", "grpc", "grpc-web", "https", "tls", "tcp", "tcp-db",
	"mongo", "mysql", "redis", "udp", "thrift", "http_proxy", "web", "metrics", "h2c", "ws"}

// AppProtocols are Service appProtocol values: Istio's table, Kubernetes'
// kubernetes.io/ values, unknown ones and none.
var AppProtocols = []string{"", "", "", "http", "HTTP", "http2", "grpc", "https", "tls", "tcp", "mysql", "redis", "mongo",
	"kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss", "grpc-web", "unknown"}

// SEProtocols are ServiceEntry port protocols.
var SEProtocols = []string{"", "TCP", "HTTP", "HTTPS", "TLS", "GRPC", "HTTP2", "MONGO", "MYSQL", "REDIS", "UDP", "HTTP_PROXY"}

// SEHosts are ServiceEntry hosts: external names, wildcards, a short name
// and names that collide with the case's Kubernetes services.
var SEHosts = []string{"a.example.com", "b.example.com", "*.example.com", "*.wild.org", "db.internal", "svc-a.ns1.svc.cluster.local",
	"svc-b.default.svc.cluster.local", "svc-a", "api.example.org"}

// EnvSets are the istiod environments a case draws from. Each distinct
// environment needs its own backend process per version (Istio reads its
// features at package init), so they are few.
var EnvSets = []map[string]string{
	nil, nil, nil,
	{"PILOT_ENABLE_IP_AUTOALLOCATE": "false"},
	{"PILOT_ENABLE_IP_AUTOALLOCATE": "true"},
	{"ISTIO_DUAL_STACK": "true"},
	{"PILOT_ENABLE_REDIS_FILTER": "true", "PILOT_ENABLE_MYSQL_FILTER": "true", "PILOT_ENABLE_MONGO_FILTER": "false"},
}

type gen struct {
	r *rand.Rand
	// mesh draws what cases gained with the mesh config fields
	// (default exportTo lists, ALLOW_ANY_DYNAMIC_DNS, a root namespace,
	// egressProxy), from a stream of its own: r draws what it drew
	// before, so a seed keeps the case it was reported with, plus these.
	mesh *rand.Rand
	// routes draws the VirtualServices with http routes (and their
	// DestinationRules) added after everything r draws, from a stream of
	// its own, for the same reason.
	routes   *rand.Rand
	c        *Case
	family   string // IPv4, IPv6, DualStack
	clientIP string
	podN     int
	extN     int
	refs     []string // Kind/namespace/name of objects, for creationOrder
	svcs     []genSvc
}

type genSvc struct {
	ns, name string
	ports    []map[string]any
	selector string
	headless bool
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *gen) chance(p float64) bool     { return g.r.Float64() < p }

// Scenario makes the case of seed: 1 to about 15 objects, valid for a
// cluster and (rarely not) for Istio's validation. The same seed gives the
// same case.
func Scenario(seed uint64) *Case {
	return scenario(seed, true)
}

// scenario makes the case of seed, with the http routes of httpRoutes or
// (withRoutes false) as cases were before them.
func scenario(seed uint64, withRoutes bool) *Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x6c69737465)), mesh: rand.New(rand.NewPCG(seed, 0x6d657368)),
		routes: rand.New(rand.NewPCG(seed, 0x726f75746573)),
		c:      &Case{Seed: seed, Header: map[string]any{}}}
	g.header()
	for i, n := 0, g.r.IntN(MaxServices+1); i < n; i++ {
		g.service()
	}
	for i, n := 0, g.r.IntN(MaxServiceEntries+1); i < n; i++ {
		g.serviceEntry()
	}
	if len(g.svcs) > 0 && g.chance(0.3) {
		g.endpointSlice(g.svcs[g.r.IntN(len(g.svcs))])
	}
	if g.chance(0.25) {
		g.sidecar()
	}
	if g.chance(0.15) {
		g.virtualService()
	}
	if len(g.c.Objects) == 0 {
		g.service()
	}
	g.creationOrder()
	if withRoutes {
		g.httpRoutes()
	}
	return g.c
}

func (g *gen) header() {
	h := g.c.Header
	client := map[string]any{}
	g.family = "IPv4"
	switch x := g.r.IntN(10); {
	case x == 0:
		g.family = "IPv6"
	case x <= 2:
		g.family = "DualStack"
	}
	if g.family != "IPv4" {
		client["ipFamily"] = g.family
	}
	switch g.family {
	case "IPv4":
		g.clientIP = "10.244.0.200"
	case "IPv6":
		g.clientIP = "fd00:10:244::c8"
	}
	if g.clientIP != "" && g.chance(0.5) {
		client["ip"] = g.clientIP
	} else {
		g.clientIP = ""
	}
	switch x := g.r.IntN(10); {
	case x == 0:
		client["interceptionMode"] = "TPROXY"
	case x == 1:
		client["interceptionMode"] = "NONE"
	}
	if g.chance(0.3) {
		client["dnsCapture"] = true
		if g.chance(0.6) {
			client["dnsAutoAllocate"] = true
		}
	}
	if g.chance(0.1) {
		client["unprivileged"] = true
	}
	if len(client) > 0 {
		h["client"] = client
	}
	if env := EnvSets[g.r.IntN(len(EnvSets))]; env != nil {
		m := map[string]any{}
		for k, v := range env {
			m[k] = v
		}
		h["istiod"] = map[string]any{"env": m}
	}
	mc := map[string]any{}
	switch {
	case g.chance(0.08):
		mc["outboundTrafficPolicy"] = map[string]any{"mode": "REGISTRY_ONLY"}
	case g.mesh.Float64() < 0.03:
		// 1.31 only: older versions refuse the mesh config (counted apart).
		mc["outboundTrafficPolicy"] = map[string]any{"mode": "ALLOW_ANY_DYNAMIC_DNS"}
	}
	if g.mesh.Float64() < 0.2 {
		mc["defaultServiceExportTo"] = g.exportToList()
	}
	if g.mesh.Float64() < 0.1 {
		mc["defaultVirtualServiceExportTo"] = g.exportToList()
	}
	if len(mc) > 0 {
		h["meshConfig"] = mc
	}
}

// MeshExportTo are the mesh default exportTo lists a case draws from:
// ".", "*", "~", the client's namespace and another, alone and mixed
// (named namespaces are where Istio versions differ).
var MeshExportTo = [][]string{{"."}, {".", "ns1"}, {"ns1"}, {"default"}, {"*"}, {"*", "."}, {"~"}, {".", "default", "ns2"}}

func (g *gen) exportToList() []any {
	var out []any
	for _, ns := range MeshExportTo[g.mesh.IntN(len(MeshExportTo))] {
		out = append(out, ns)
	}
	return out
}

// RootNamespace is the mesh root namespace a case may set (meshConfig
// rootNamespace) when it puts a Sidecar there.
const RootNamespace = "mesh-root"

func (g *gen) add(o map[string]any) {
	meta := o["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	g.c.Objects = append(g.c.Objects, o)
	g.refs = append(g.refs, fmt.Sprintf("%s/%s/%s", o["kind"], ns, meta["name"]))
}

func (g *gen) meta(ns, name string) map[string]any {
	return map[string]any{"name": name, "namespace": ns}
}

func (g *gen) portName(used map[string]bool) string {
	for {
		n := g.pick(PortNames)
		if n != "" && used[n] {
			n += fmt.Sprintf("-%d", len(used))
		}
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

func (g *gen) service() {
	ns := g.pick(Namespaces)
	name := fmt.Sprintf("svc-%c", 'a'+rune(len(g.svcs)))
	s := genSvc{ns: ns, name: name}
	spec := map[string]any{}
	kind := g.r.IntN(10)
	switch {
	case kind <= 5: // ClusterIP
	case kind <= 8:
		spec["clusterIP"] = "None"
		s.headless = true
	default:
		spec["type"] = "ExternalName"
		spec["externalName"] = g.pick([]string{"db.example.com", "a.example.com", "svc-a.ns1.svc.cluster.local"})
	}
	n := 1 + g.r.IntN(MaxPortsPerService)
	usedNames, usedPorts := map[string]bool{}, map[int]bool{}
	for i := 0; i < n; i++ {
		num := ServicePortNumbers[g.r.IntN(len(ServicePortNumbers))]
		if usedPorts[num] {
			continue
		}
		usedPorts[num] = true
		p := map[string]any{"port": num}
		pn := g.portName(usedNames)
		if n > 1 && pn == "" {
			pn = fmt.Sprintf("p%d", i)
		}
		if pn != "" {
			p["name"] = pn
		}
		if ap := g.pick(AppProtocols); ap != "" {
			p["appProtocol"] = ap
		}
		if g.chance(0.08) {
			p["protocol"] = g.pick([]string{"UDP", "SCTP"})
		}
		switch x := g.r.IntN(6); {
		case x == 0:
			p["targetPort"] = num + 1000
		case x == 1:
			p["targetPort"] = fmt.Sprintf("c%d", num)
		}
		s.ports = append(s.ports, p)
	}
	ports := make([]any, len(s.ports))
	for i, p := range s.ports {
		ports[i] = p
	}
	spec["ports"] = ports
	if g.family == "DualStack" && spec["type"] == nil {
		switch x := g.r.IntN(4); {
		case x == 0:
			spec["ipFamilyPolicy"] = "PreferDualStack"
		case x == 1:
			spec["ipFamilyPolicy"] = "RequireDualStack"
			spec["ipFamilies"] = []any{"IPv6", "IPv4"}
		case x == 2:
			spec["ipFamilies"] = []any{"IPv6"}
		}
	}
	if spec["type"] == nil && g.chance(0.75) {
		s.selector = "app-" + name
		if g.chance(0.1) && len(g.svcs) > 0 { // two services over the same pods
			s.selector = g.svcs[0].selector
		}
		if s.selector != "" {
			spec["selector"] = map[string]any{"app": s.selector}
		}
	}
	g.svcs = append(g.svcs, s)
	g.add(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": g.meta(ns, name), "spec": spec})
	if s.selector != "" && g.chance(0.8) {
		g.workload(s)
	}
	if (s.headless || s.selector == "") && spec["type"] == nil && g.chance(0.5) {
		g.endpointSlice(s)
	}
}

// containerPorts names a container port for every named targetPort.
func (g *gen) containerPorts(s genSvc) []any {
	var out []any
	for _, p := range s.ports {
		if tp, ok := p["targetPort"].(string); ok {
			out = append(out, map[string]any{"name": tp, "containerPort": p["port"].(int) + 2000})
		}
	}
	return out
}

func (g *gen) podIP() string {
	g.podN++
	if g.family == "IPv6" {
		return fmt.Sprintf("fd00:10:244::1:%x", g.podN)
	}
	return fmt.Sprintf("10.244.1.%d", g.podN)
}

func (g *gen) workload(s genSvc) {
	container := map[string]any{"name": "app", "image": "example/app:1"}
	if cps := g.containerPorts(s); len(cps) > 0 {
		container["ports"] = cps
	}
	labels := map[string]any{"app": s.selector}
	podSpec := map[string]any{"containers": []any{container}}
	switch x := g.r.IntN(3); {
	case x == 0 && g.family != "DualStack": // pods with pinned IPs
		n := 1 + g.r.IntN(2)
		for i := 0; i < n; i++ {
			ip := g.podIP()
			g.add(map[string]any{"apiVersion": "v1", "kind": "Pod",
				"metadata": map[string]any{"name": fmt.Sprintf("%s-pod-%d", s.name, i), "namespace": s.ns, "labels": labels},
				"spec":     cloneTree(podSpec), "status": map[string]any{"podIP": ip}})
		}
	case x == 1:
		g.add(map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": g.meta(s.ns, "wl-"+s.name),
			"spec": map[string]any{"replicas": 1 + g.r.IntN(3), "serviceName": s.name,
				"selector": map[string]any{"matchLabels": labels},
				"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": podSpec}}})
	default:
		g.add(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": g.meta(s.ns, "wl-"+s.name),
			"spec": map[string]any{"replicas": g.r.IntN(3), "selector": map[string]any{"matchLabels": labels},
				"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": podSpec}}})
	}
}

// endpointSlice writes a slice by hand for s: external addresses, the
// addresses of pods the case pinned (the same endpoints twice), the
// client's own IP, not-ready endpoints; ports named as the Service's or
// not.
func (g *gen) endpointSlice(s genSvc) {
	at := "IPv4"
	if g.family == "IPv6" || g.family == "DualStack" && g.chance(0.4) {
		at = "IPv6"
	}
	var eps []any
	n := 1 + g.r.IntN(3)
	for i := 0; i < n; i++ {
		var addr string
		switch x := g.r.IntN(6); {
		case x == 0 && g.clientIP != "" && (at == "IPv6") == strings.Contains(g.clientIP, ":"):
			addr = g.clientIP
		case x <= 2 && g.podN > 0 && at == "IPv4" && g.family != "IPv6":
			addr = fmt.Sprintf("10.244.1.%d", 1+g.r.IntN(g.podN))
		case x <= 2 && g.podN > 0 && at == "IPv6" && g.family == "IPv6":
			addr = fmt.Sprintf("fd00:10:244::1:%x", 1+g.r.IntN(g.podN))
		default:
			g.extN++
			if at == "IPv6" {
				addr = fmt.Sprintf("2001:db8::%x", 10+g.extN)
			} else {
				addr = fmt.Sprintf("10.50.0.%d", 10+g.extN)
			}
		}
		ep := map[string]any{"addresses": []any{addr}}
		switch x := g.r.IntN(6); {
		case x == 0:
			ep["conditions"] = map[string]any{"ready": false}
		case x <= 3:
			ep["conditions"] = map[string]any{"ready": true}
		}
		eps = append(eps, ep)
	}
	var ports []any
	for _, p := range s.ports {
		ep := map[string]any{"port": p["port"], "protocol": "TCP"}
		if name, ok := p["name"]; ok {
			ep["name"] = name
		} else {
			ep["name"] = ""
		}
		if g.chance(0.15) {
			ep["name"] = "other"
		}
		ports = append(ports, ep)
	}
	nslices := 1
	if g.chance(0.25) {
		nslices = 2
	}
	for i := 0; i < nslices; i++ {
		meta := g.meta(s.ns, fmt.Sprintf("%s-manual-%d", s.name, len(g.c.Objects)))
		meta["labels"] = map[string]any{"kubernetes.io/service-name": s.name}
		g.add(map[string]any{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
			"addressType": at, "ports": cloneTree(ports), "endpoints": cloneTree(eps)})
	}
}

// serviceEntry adds one ServiceEntry and, when it selects workloads, its
// WorkloadEntries. Each step draws from g.r in a fixed order: reordering
// them changes every scenario generated after the first ServiceEntry.
func (g *gen) serviceEntry() {
	ns := g.pick(Namespaces)
	name := fmt.Sprintf("se-%d", len(g.c.Objects))
	res := g.seResolution()
	hosts := g.seHosts(res)
	spec := map[string]any{"resolution": res, "hosts": hosts}
	// Addresses: none, IPs, CIDRs (NONE and STATIC only), several, IPv6.
	if res != "DYNAMIC_DNS" && g.chance(0.5) {
		spec["addresses"] = g.seAddresses(res)
	}
	ports := g.sePorts(res, len(hosts))
	spec["ports"] = ports
	g.seVisibility(spec, res)
	meta := g.meta(ns, name)
	if g.chance(0.1) {
		meta["labels"] = map[string]any{"networking.istio.io/enable-autoallocate-ip": g.pick([]string{"false", "False", "true"})}
	}
	selector := g.seBackends(spec, res, name, anyWildcard(hosts))
	if g.chance(0.05) {
		spec["subjectAltNames"] = []any{"spiffe://example"}
	}
	o := map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": meta, "spec": spec}
	if g.chance(0.08) && spec["addresses"] == nil {
		o["status"] = map[string]any{"addresses": []any{map[string]any{"value": "240.240.9.9", "host": hosts[0]}}}
	}
	g.add(o)
	if selector != "" {
		g.workloadEntries(ns, name, selector, ports[0].(map[string]any)["name"].(string))
	}
}

// seResolution draws a ServiceEntry's resolution. DYNAMIC_DNS exists from
// 1.31 on: older versions refuse it, so it is rare (about 1 in 20
// ServiceEntries) to keep refused cases few there.
func (g *gen) seResolution() string {
	res := g.pick([]string{"NONE", "NONE", "STATIC", "DNS", "DNS", "DNS_ROUND_ROBIN"})
	if g.chance(0.05) {
		res = "DYNAMIC_DNS"
	}
	return res
}

// seHosts draws one host, sometimes two; DYNAMIC_DNS gets one wildcard.
func (g *gen) seHosts(res string) []any {
	hosts := []any{g.pick(SEHosts)}
	if g.chance(0.25) {
		if h := g.pick(SEHosts); h != hosts[0] {
			hosts = append(hosts, h)
		}
	}
	if res == "DYNAMIC_DNS" {
		hosts = []any{g.pick([]string{"*.example.com", "*.wild.org"})}
	}
	return hosts
}

// anyWildcard reports whether one of hosts is a wildcard.
func anyWildcard(hosts []any) bool {
	wild := false
	for _, h := range hosts {
		wild = wild || strings.HasPrefix(h.(string), "*")
	}
	return wild
}

// seAddresses draws one or two addresses: IPs, CIDRs (NONE and STATIC
// only) or IPv6, without repeats.
func (g *gen) seAddresses(res string) []any {
	var addrs []any
	for i, n := 0, 1+g.r.IntN(2); i < n; i++ {
		cidr := (res == "NONE" || res == "STATIC") && g.chance(0.4)
		switch {
		case cidr && g.chance(0.2):
			addrs = append(addrs, "2001:db8:1::/64")
		case cidr:
			addrs = append(addrs, g.pick([]string{"10.60.0.0/24", "10.60.0.0/16", "10.60.0.5/32", "10.96.1.0/24"}))
		case g.chance(0.15):
			addrs = append(addrs, "2001:db8:2::"+fmt.Sprint(1+g.r.IntN(3)))
		default:
			addrs = append(addrs, g.pick([]string{"10.60.0.5", "10.60.0.6", "10.96.1.1", "192.0.2.10"}))
		}
	}
	return dedupe(addrs)
}

// sePorts draws one or two distinct ports. DYNAMIC_DNS and resolved
// ServiceEntries with several hosts get protocols those accept.
func (g *gen) sePorts(res string, nhosts int) []any {
	var ports []any
	used := map[int]bool{}
	for i, n := 0, 1+g.r.IntN(2); i < n; i++ {
		num := ServicePortNumbers[g.r.IntN(len(ServicePortNumbers))]
		if used[num] {
			continue
		}
		used[num] = true
		proto := g.pick(SEProtocols)
		if res == "DYNAMIC_DNS" {
			proto = g.pick([]string{"HTTP", "TLS", "GRPC", "HTTP2"})
		}
		if res != "NONE" && nhosts > 1 {
			proto = g.pick([]string{"HTTP", "TLS", "HTTPS"})
		}
		p := map[string]any{"number": num, "name": fmt.Sprintf("p%d-%s", num, strings.ReplaceAll(strings.ToLower(orDefault(proto, "auto")), "_", "-"))}
		if proto != "" {
			p["protocol"] = proto
		}
		if g.chance(0.15) {
			p["targetPort"] = num + 1
		}
		ports = append(ports, p)
	}
	return ports
}

// seVisibility sets a ServiceEntry's location (MESH_EXTERNAL for
// DYNAMIC_DNS when not drawn) and sometimes its exportTo.
func (g *gen) seVisibility(spec map[string]any, res string) {
	if g.chance(0.3) {
		spec["location"] = g.pick([]string{"MESH_EXTERNAL", "MESH_INTERNAL"})
	} else if res == "DYNAMIC_DNS" {
		spec["location"] = "MESH_EXTERNAL"
	}
	if g.chance(0.25) {
		spec["exportTo"] = []any{g.pick([]string{".", "*", "ns1", "default", "~"})}
	}
}

// seBackends gives a ServiceEntry a workloadSelector or endpoints, or
// neither. It returns the selector's app label, "" when there is none.
func (g *gen) seBackends(spec map[string]any, res, name string, wild bool) string {
	switch {
	case (res == "STATIC" || res == "NONE" && g.chance(0.3)) && g.chance(0.5):
		selector := "we-" + name
		spec["workloadSelector"] = map[string]any{"labels": map[string]any{"app": selector}}
		return selector
	case res == "STATIC" || (res == "DNS" || res == "DNS_ROUND_ROBIN") && (wild || g.chance(0.3)):
		var eps []any
		n := 1 + g.r.IntN(2)
		if res == "DNS_ROUND_ROBIN" {
			n = 1
		}
		for i := 0; i < n; i++ {
			addr := g.pick([]string{"10.70.0.1", "10.70.0.2", "10.244.1.1"})
			if res != "STATIC" && g.chance(0.5) {
				addr = "backend.example.net"
			}
			eps = append(eps, map[string]any{"address": addr})
		}
		spec["endpoints"] = dedupeEndpoints(eps)
	}
	return ""
}

// workloadEntries adds up to two WorkloadEntries labelled selector for
// ServiceEntry name, some with a target port for its first port.
func (g *gen) workloadEntries(ns, name, selector, firstPort string) {
	for i, n := 0, g.r.IntN(3); i < n; i++ {
		addr := fmt.Sprintf("10.80.0.%d", 1+i)
		if g.chance(0.1) {
			addr = "vm.example.net"
		}
		we := map[string]any{"address": addr, "labels": map[string]any{"app": selector}}
		if g.chance(0.3) {
			we["ports"] = map[string]any{firstPort: 7000 + i}
		}
		g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
			"metadata": g.meta(ns, fmt.Sprintf("%s-we-%d", name, i)), "spec": we})
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func dedupe(l []any) []any {
	var out []any
	for _, x := range l {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func dedupeEndpoints(l []any) []any {
	seen := map[string]bool{}
	var out []any
	for _, x := range l {
		a := x.(map[string]any)["address"].(string)
		if !seen[a] {
			seen[a] = true
			out = append(out, x)
		}
	}
	return out
}

// SidecarHosts are Sidecar egress hosts: namespaces, wildcards, exact
// names and hosts of other namespaces.
var SidecarHosts = []string{"./*", "*/*", "ns1/*", "~/*", "istio-system/*", "default/a.example.com", "*/svc-a.ns1.svc.cluster.local",
	"ns1/svc-a.ns1.svc.cluster.local", "./*.example.com", "*/b.example.com"}

func (g *gen) sidecar() {
	ns := "default"
	if g.chance(0.2) {
		ns = "istio-system"
		if g.mesh.Float64() < 0.5 {
			// The same Sidecar in a root namespace the mesh config names.
			ns = RootNamespace
			mc, _ := g.c.Header["meshConfig"].(map[string]any)
			if mc == nil {
				mc = map[string]any{}
				g.c.Header["meshConfig"] = mc
			}
			mc["rootNamespace"] = RootNamespace
		}
	}
	spec := map[string]any{}
	var egress []any
	if g.chance(0.4) {
		num := ServicePortNumbers[g.r.IntN(len(ServicePortNumbers))]
		proto := g.pick([]string{"TCP", "HTTP", "HTTPS", "TLS", "GRPC", "MYSQL", "HTTP_PROXY", "REDIS", "MONGO", "HTTP2"})
		eg := map[string]any{"port": map[string]any{"number": num, "protocol": proto, "name": "eg-" + strings.ReplaceAll(strings.ToLower(proto), "_", "-")},
			"hosts": []any{g.pick(SidecarHosts)}}
		if g.chance(0.3) {
			eg["bind"] = g.pick([]string{"127.0.0.1", "0.0.0.0", "10.244.0.200"})
		}
		if g.chance(0.2) {
			eg["captureMode"] = g.pick([]string{"DEFAULT", "IPTABLES", "NONE"})
		}
		egress = append(egress, eg)
	}
	hosts := []any{g.pick(SidecarHosts)}
	if g.chance(0.4) {
		hosts = dedupe(append(hosts, g.pick(SidecarHosts)))
	}
	egress = append(egress, map[string]any{"hosts": hosts})
	spec["egress"] = egress
	if g.chance(0.2) {
		otp := map[string]any{"mode": g.pick([]string{"REGISTRY_ONLY", "ALLOW_ANY"})}
		if otp["mode"] == "ALLOW_ANY" && g.mesh.Float64() < 0.5 {
			hosts := []string{"egress.example.com", "svc-a.ns1.svc.cluster.local"}
			otp["egressProxy"] = map[string]any{"host": hosts[g.mesh.IntN(len(hosts))],
				"port": map[string]any{"number": []int{3128, 443}[g.mesh.IntN(2)]}}
		}
		spec["outboundTrafficPolicy"] = otp
	}
	if ns == "default" && g.chance(0.3) {
		spec["workloadSelector"] = map[string]any{"labels": map[string]any{"app": "client"}}
	}
	g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": g.meta(ns, "sidecar"), "spec": spec})
}

func (g *gen) virtualService() {
	var host string
	var port int
	for _, o := range g.c.Objects {
		if o["kind"] == "ServiceEntry" {
			spec := o["spec"].(map[string]any)
			host = spec["hosts"].([]any)[0].(string)
			port = spec["ports"].([]any)[0].(map[string]any)["number"].(int)
		}
	}
	if host == "" {
		for _, s := range g.svcs {
			if len(s.ports) > 0 {
				host, port = fmt.Sprintf("%s.%s.svc.cluster.local", s.name, s.ns), s.ports[0]["port"].(int)
			}
		}
	}
	if host == "" {
		return
	}
	spec := map[string]any{"hosts": []any{host}}
	dest := map[string]any{"destination": map[string]any{"host": host, "port": map[string]any{"number": port}}}
	if g.chance(0.5) {
		dest["destination"].(map[string]any)["subset"] = "v1"
		g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": g.meta("default", "dr"),
			"spec": map[string]any{"host": host, "subsets": []any{map[string]any{"name": "v1", "labels": map[string]any{"version": "v1"}}}}})
	}
	if g.chance(0.5) {
		spec["tcp"] = []any{map[string]any{"match": []any{map[string]any{"port": port}}, "route": []any{dest}}}
	} else {
		spec["tls"] = []any{map[string]any{"match": []any{map[string]any{"port": port, "sniHosts": []any{host}}}, "route": []any{dest}}}
	}
	if strings.HasPrefix(host, "*") {
		return
	}
	g.add(map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": g.meta("default", "vs"), "spec": spec})
}

// creationOrder puts some objects one second apart, in a random order;
// the others are created together (ties broken by name, then namespace).
func (g *gen) creationOrder() {
	if len(g.refs) < 2 || g.chance(0.5) {
		return
	}
	idx := g.r.Perm(len(g.refs))
	n := 1 + g.r.IntN(len(idx))
	var order []any
	for _, i := range idx[:n] {
		order = append(order, g.refs[i])
	}
	g.c.Header["creationOrder"] = order
}

// Kinds lists the kinds of c's objects with their counts, sorted, for a
// summary of what was generated.
func (c *Case) Kinds() []string {
	n := map[string]int{}
	for _, o := range c.Objects {
		n[fmt.Sprint(o["kind"])]++
	}
	var out []string
	for k, v := range n {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

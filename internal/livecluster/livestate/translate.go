package livestate

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strings"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/world"
)

// Translator turns what a live cluster built into the scenario's own terms:
// every address the cluster assigned (ClusterIPs, pod IPs, ServiceEntry
// addresses) becomes the address the simulated resolver gives the same
// object, and every renamed namespace in a hostname its original name.
// Scenario expectations ("10.96.1.1_5432", "outbound|80||web.default.svc...")
// can then be checked against a live proxy.
type Translator struct {
	ips      map[string]string
	unrename func(string) string
}

// NewTranslator pairs the objects of the simulated World of the isolated
// scenario (resolve.Simulate(iso.Live, v)) with those of the live World.
// Objects are paired by namespace and name; the pods of one workload in
// name order, the client pod first.
func NewTranslator(iso *isolate.Isolated, simulated, live *world.World) *Translator {
	t := &Translator{ips: map[string]string{}, unrename: iso.Unrename}
	pair := func(liveIPs, simIPs []string) {
		for i := range liveIPs {
			if i < len(simIPs) && liveIPs[i] != "" && simIPs[i] != "" && liveIPs[i] != corev1.ClusterIPNone {
				t.ips[canonical(liveIPs[i])] = simIPs[i]
			}
		}
	}
	simSvc := map[string]corev1.Service{}
	for _, s := range simulated.Services {
		simSvc[s.Namespace+"/"+s.Name] = s
	}
	for _, s := range live.Services {
		if sim, ok := simSvc[s.Namespace+"/"+s.Name]; ok {
			pair(s.Spec.ClusterIPs, sim.Spec.ClusterIPs)
		}
	}
	simSE := map[string][]string{}
	for _, se := range simulated.ServiceEntries {
		simSE[se.Namespace+"/"+se.Name] = seAddresses(se.Status.GetAddresses())
	}
	for _, se := range live.ServiceEntries {
		pair(seAddresses(se.Status.GetAddresses()), simSE[se.Namespace+"/"+se.Name])
	}
	pair(live.Client.IPs, simulated.Client.IPs)
	// Each World has its own pods taken: a StatefulSet's pods have the
	// same names in both.
	simTaken := map[string]bool{simulated.Client.Namespace + "/" + simulated.Client.Name: true}
	liveTaken := map[string]bool{live.Client.Namespace + "/" + live.Client.Name: true}
	for _, m := range iso.Live.Manifests {
		sel := workloadSelector(m.Object)
		if sel == nil {
			continue
		}
		simPods := podsOf(simulated.Pods, m.Namespace, sel, simTaken)
		livePods := podsOf(live.Pods, m.Namespace, sel, liveTaken)
		for i := range livePods {
			if i < len(simPods) {
				pair(world.PodIPs(&livePods[i]), world.PodIPs(&simPods[i]))
			}
		}
	}
	return t
}

// String translates every address and hostname within s.
func (t *Translator) String(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && isAddrChar(s[j]) {
			j++
		}
		if j == i {
			b.WriteByte(s[i])
			i++
			continue
		}
		tok := s[i:j]
		if sim, ok := t.ips[canonical(tok)]; ok {
			tok = sim
		}
		b.WriteString(tok)
		i = j
	}
	return t.unrename(b.String())
}

// Listeners translates listeners (a copy; the input is unchanged).
func (t *Translator) Listeners(ls []listener.Listener) []listener.Listener {
	var out []listener.Listener
	t.mapJSON(ls, &out)
	for i := range out {
		out[i].Normalize()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Routes translates route configurations (a copy, sorted by name; nil
// stays nil: the routes were not read).
func (t *Translator) Routes(rs []route.Config) []route.Config {
	if rs == nil {
		return nil
	}
	var out []route.Config
	t.mapJSON(rs, &out)
	route.Sort(out)
	return out
}

// Conflicts translates conflict records.
func (t *Translator) Conflicts(cs []listener.Conflict) []listener.Conflict {
	var out []listener.Conflict
	t.mapJSON(cs, &out)
	return out
}

// Addresses is the address pairing, live to simulated, for the artifacts.
func (t *Translator) Addresses() map[string]string {
	out := make(map[string]string, len(t.ips))
	for k, v := range t.ips {
		out[k] = v
	}
	return out
}

func (t *Translator) mapJSON(in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err) // listener types always marshal
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	b, err = json.Marshal(t.walk(v))
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
}

func (t *Translator) walk(v any) any {
	switch x := v.(type) {
	case string:
		return t.String(x)
	case []any:
		for i := range x {
			x[i] = t.walk(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = t.walk(x[k])
		}
	}
	return v
}

func isAddrChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':'
}

// canonical writes an address the way netip does, so "fd00::0001" and
// "fd00::1" pair; other strings are unchanged.
func canonical(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

// seAddresses lists status addresses IPv4 first, then IPv6, each in host
// order, so that two Worlds pair address by address.
func seAddresses(as []*apiv1alpha3.ServiceEntryAddress) []string {
	var v4, v6 []string
	for _, a := range as {
		if ip, err := netip.ParseAddr(a.GetValue()); err == nil && ip.Is6() {
			v6 = append(v6, a.GetHost()+"="+a.GetValue())
		} else {
			v4 = append(v4, a.GetHost()+"="+a.GetValue())
		}
	}
	out := append(v4, v6...)
	for i, s := range out {
		_, out[i], _ = strings.Cut(s, "=")
	}
	return out
}

func workloadSelector(obj any) labels.Selector {
	var ls *metav1.LabelSelector
	switch o := obj.(type) {
	case *appsv1.Deployment:
		ls = o.Spec.Selector
	case *appsv1.StatefulSet:
		ls = o.Spec.Selector
	case *corev1.Pod:
		return labels.SelectorFromSet(labels.Set{"metadata.name": o.Name})
	default:
		return nil
	}
	if ls == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return nil
	}
	return sel
}

// podsOf lists the pods in ns that sel selects and that are not taken, in
// name order, and marks them taken. A bare Pod's selector names it.
func podsOf(pods []corev1.Pod, ns string, sel labels.Selector, taken map[string]bool) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		key := p.Namespace + "/" + p.Name
		l := labels.Set{"metadata.name": p.Name}
		for k, v := range p.Labels {
			l[k] = v
		}
		if p.Namespace != ns || taken[key] || !sel.Matches(l) {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	for _, p := range out {
		taken[p.Namespace+"/"+p.Name] = true
	}
	return out
}

// Istio's auto-allocation ranges: addresses pilot hashes from the
// namespace and host when the allocation controller is off. They are not
// in the World, so they are paired through predictions.
var autoRanges = []netip.Prefix{clusterdefaults.AutoAllocateV4, clusterdefaults.AutoAllocateV6}

// PairAutoAddresses pairs auto-allocated listener addresses of the
// simulated scenario's listeners (sim) with those of live ones by the
// destination of their chains: pilot derives such an address from the
// namespace name, which isolation changes. Run it before translating.
func (t *Translator) PairAutoAddresses(sim, live []listener.Listener) {
	key := func(l listener.Listener, unrename func(string) string) string {
		var parts []string
		for _, c := range l.FilterChains {
			parts = append(parts, unrename(c.Destination.String()))
		}
		sort.Strings(parts)
		return strings.Join(parts, ";")
	}
	byDest := map[string]listener.Listener{}
	for _, l := range sim {
		if isAuto(l.Address) {
			byDest[key(l, func(s string) string { return s })] = l
		}
	}
	for _, l := range live {
		if !isAuto(l.Address) {
			continue
		}
		if s, ok := byDest[key(l, t.unrename)]; ok {
			t.ips[canonical(l.Address)] = s.Address
			for i, a := range l.AdditionalAddresses {
				if i < len(s.AdditionalAddresses) {
					t.ips[canonical(a)] = s.AdditionalAddresses[i]
				}
			}
		}
	}
}

func isAuto(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range autoRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// NewPairing pairs the addresses of two Worlds of one cluster state whose
// objects carry the same names, such as the live World and the resolved
// World of a scenario captured from it (package capture): Services and
// ServiceEntries by namespace and name, the clients, and pods by namespace
// and name. Namespaces are not renamed. A capture keeps ClusterIPs and
// ServiceEntry addresses, so what it pairs in practice are the built-in
// Services, which the resolver places itself, and the pods the resolver
// makes for the client's workload.
func NewPairing(simulated, live *world.World) *Translator {
	t := &Translator{ips: map[string]string{}, unrename: func(s string) string { return s }}
	pair := func(liveIPs, simIPs []string) {
		for i := range liveIPs {
			if i < len(simIPs) && liveIPs[i] != "" && simIPs[i] != "" && liveIPs[i] != corev1.ClusterIPNone && canonical(liveIPs[i]) != canonical(simIPs[i]) {
				t.ips[canonical(liveIPs[i])] = simIPs[i]
			}
		}
	}
	simSvc := map[string][]string{}
	for _, s := range simulated.Services {
		simSvc[s.Namespace+"/"+s.Name] = s.Spec.ClusterIPs
	}
	for _, s := range live.Services {
		if ips, ok := simSvc[s.Namespace+"/"+s.Name]; ok {
			pair(s.Spec.ClusterIPs, ips)
		}
	}
	simSE := map[string][]string{}
	for _, se := range simulated.ServiceEntries {
		simSE[se.Namespace+"/"+se.Name] = seAddresses(se.Status.GetAddresses())
	}
	for _, se := range live.ServiceEntries {
		pair(seAddresses(se.Status.GetAddresses()), simSE[se.Namespace+"/"+se.Name])
	}
	pair(live.Client.IPs, simulated.Client.IPs)
	simPods := map[string][]string{}
	for _, p := range simulated.Pods {
		simPods[p.Namespace+"/"+p.Name] = world.PodIPs(&p)
	}
	for _, p := range live.Pods {
		pair(world.PodIPs(&p), simPods[p.Namespace+"/"+p.Name])
	}
	return t
}

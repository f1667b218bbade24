package scenario

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Epoch is when the simulated cluster applies a scenario's objects; a
// CronJob is taken as having started its Job then (its pods' names carry
// the scheduled minute).
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// GeneratedSuffix is a stable lower-case alphanumeric digest of s, n
// characters long, like the suffixes Kubernetes controllers give the
// names they generate (pods of a Deployment, EndpointSlices).
func GeneratedSuffix(s string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[v%uint64(len(alphabet))]
		v /= uint64(len(alphabet))
	}
	return string(out)
}

// PodNames lists the names the simulated cluster gives the pods of a
// workload manifest, in the order it makes them (nil for a manifest that
// makes no pods): a Pod's own name; a StatefulSet's NAME-0, NAME-1, ...,
// as in a real cluster; for the kinds whose controllers make names up
// (Deployment NAME-HASH-SUFFIX, ReplicaSet, ReplicationController, Job
// and DaemonSet NAME-SUFFIX, CronJob NAME-MINUTE-SUFFIX) stable digests,
// which a real cluster's names do not match. PodCount and PodName give
// them one at a time.
func PodNames(m Manifest) []string {
	n := PodCount(m)
	out := make([]string, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		out = append(out, PodName(m, i))
	}
	return out
}

// PodCount is how many pods the simulated cluster makes for a workload
// manifest: its replicas (a Job's parallelism), one for a Pod, a
// DaemonSet (one node) and a CronJob (one Job), 0 for other kinds.
func PodCount(m Manifest) int {
	n := func(r *int32) int {
		if r == nil {
			return 1
		}
		return max(int(*r), 0)
	}
	switch o := m.Object.(type) {
	case *corev1.Pod, *appsv1.DaemonSet, *batchv1.CronJob:
		return 1
	case *appsv1.StatefulSet:
		return n(o.Spec.Replicas)
	case *appsv1.Deployment:
		return n(o.Spec.Replicas)
	case *appsv1.ReplicaSet:
		return n(o.Spec.Replicas)
	case *corev1.ReplicationController:
		return n(o.Spec.Replicas)
	case *batchv1.Job:
		return n(o.Spec.Parallelism)
	case *TemplatedWorkload:
		if o.Spec.Template == nil {
			return 0
		}
		return n(o.Spec.Replicas)
	}
	return 0
}

// PodName is the name of the i-th pod of a workload manifest (see
// PodNames).
func PodName(m Manifest, i int) string {
	switch m.Kind {
	case "Pod":
		return m.Name
	case "StatefulSet":
		return fmt.Sprintf("%s-%d", m.Name, i)
	case "Deployment":
		hash := GeneratedSuffix(m.Namespace+"/"+m.Name, 10)
		return fmt.Sprintf("%s-%s-%s", m.Name, hash, GeneratedSuffix(fmt.Sprintf("%s/%d", hash, i), 5))
	case "DaemonSet":
		return m.Name + "-" + GeneratedSuffix(m.Namespace+"/"+m.Name, 5)
	case "CronJob":
		// One Job, named after the scheduled minute as the CronJob
		// controller names Jobs.
		job := fmt.Sprintf("%s-%d", m.Name, Epoch.Unix()/60)
		return job + "-" + GeneratedSuffix(m.Namespace+"/"+job, 5)
	}
	return m.Name + "-" + GeneratedSuffix(fmt.Sprintf("%s/%s/%d", m.Namespace, m.Name, i), 5)
}

// findPod is the position of the pod named name among m's pods, or -1.
// It does not list the pods: a StatefulSet's ordinal is read from the
// name, and the made-up names are searched among the first 65,536 pods
// (more than the simulated pod range holds).
func findPod(m Manifest, name string) int {
	n := PodCount(m)
	switch {
	case n == 0:
		return -1
	case m.Kind == "Pod":
		if name == m.Name {
			return 0
		}
		return -1
	case !strings.HasPrefix(name, m.Name+"-"):
		return -1
	case m.Kind == "StatefulSet":
		digits := name[len(m.Name)+1:]
		i, err := strconv.Atoi(digits)
		if err != nil || i < 0 || i >= n || strconv.Itoa(i) != digits {
			return -1
		}
		return i
	}
	for i := 0; i < min(n, 1<<16); i++ {
		if PodName(m, i) == name {
			return i
		}
	}
	return -1
}

// StableNames reports whether the pods of a workload kind have the same
// names in a real cluster as in the simulated one: a Pod's and a
// StatefulSet's.
func StableNames(kind string) bool { return kind == "Pod" || kind == "StatefulSet" }

// ClientPod finds the workload that makes the pod client.pod names in
// the client namespace, and the pod's position among the workload's pods.
func (s *Scenario) ClientPod() (Manifest, int, bool) {
	name := s.Header.Client.Pod
	if name == "" {
		return Manifest{}, 0, false
	}
	for _, m := range s.Manifests {
		if m.Namespace != s.Header.ClientNamespace() {
			continue
		}
		if i := findPod(m, name); i >= 0 {
			return m, i, true
		}
	}
	return Manifest{}, 0, false
}

// validateClientIPs checks client.ip and client.ips against the header's
// address families: at most one address per family, and only families the
// cluster has.
func (h *Header) validateClientIPs() error {
	c := h.Client
	if c.IP != "" && len(c.IPs) > 0 {
		return fieldErr("client.ips", "set client.ip or client.ips, not both (client.ip %s is client.ips: [%s])", c.IP, c.IP)
	}
	field, ips := "client.ips", c.IPs
	if c.IP != "" {
		field, ips = "client.ip", []string{c.IP}
	}
	seen := map[bool]string{}
	for i, ip := range ips {
		f := field
		if field == "client.ips" {
			f = fmt.Sprintf("client.ips[%d]", i)
		}
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return fieldErr(f, "invalid IP %q", ip)
		}
		if a.Zone() != "" || a.Is4In6() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			return fieldErr(f, "%s cannot be a pod address (unspecified, loopback, multicast, IPv4-mapped or zoned)", ip)
		}
		if prev, dup := seen[a.Is4()]; dup {
			return fieldErr(f, "%s and %s are both %s: a pod has one address per family", prev, ip, familyName(a))
		}
		seen[a.Is4()] = ip
		family := h.Client.IPFamily
		if family == "" {
			family = "IPv4"
		}
		if family != "DualStack" && family != familyName(a) {
			return fieldErr(f, "%s is an %s address but client.ipFamily is %s (set client.ipFamily: DualStack for a pod with both)", ip, familyName(a), family)
		}
	}
	return nil
}

func familyName(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// PinnedIPs are the client addresses the header pins (client.ip or
// client.ips), IPv4 first: the simulated cluster's family order.
func (h *Header) PinnedIPs() []string {
	ips := slices.Clone(h.Client.IPs)
	if h.Client.IP != "" {
		ips = []string{h.Client.IP}
	}
	is4 := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4()
	}
	sort.SliceStable(ips, func(i, j int) bool { return is4(ips[i]) && !is4(ips[j]) })
	return ips
}

// validateClient checks that the header names one client workload: the
// one that makes the pod client.pod names (carrying client.labels, when
// set), else the one workload the client labels match in the client
// namespace (none: the standard client is added). With client.pod and no
// client.labels, the labels become the named pod's.
func (s *Scenario) validateClient() error {
	h := &s.Header
	ns := h.ClientNamespace()
	if h.Client.Pod != "" {
		m, _, ok := s.ClientPod()
		if !ok {
			return &Error{Index: 1, Kind: "Scenario", Name: h.Name, Field: "client.pod", Err: s.noClientPod()}
		}
		tmpl, _ := PodTemplate(m.Object)
		podLabels := tmpl.Labels
		if len(h.Client.Labels) == 0 {
			if len(podLabels) == 0 {
				return &Error{Index: 1, Kind: "Scenario", Name: h.Name, Field: "client.pod",
					Err: fmt.Errorf("%s: %s %s (document %d) gives its pods no labels: label them (the live suite finds the client's workload by its labels)", h.Client.Pod, m.Kind, m.Name, m.Index)}
			}
			h.Client.Labels = maps.Clone(podLabels)
			return nil
		}
		if !labels.SelectorFromSet(h.Client.Labels).Matches(labels.Set(podLabels)) {
			return &Error{Index: 1, Kind: "Scenario", Name: h.Name, Field: "client.labels",
				Err: fmt.Errorf("client.pod %s (%s %s, document %d) has labels %s, not the client labels %s: leave client.labels out or make them match", h.Client.Pod, m.Kind, m.Name, m.Index,
					labels.Set(podLabels), labels.Set(h.Client.Labels))}
		}
		return nil
	}
	sel := labels.SelectorFromSet(h.ClientLabels())
	var matched []Manifest
	for _, m := range s.Manifests {
		if l, ok := PodLabels(m.Object); ok && m.Namespace == ns && sel.Matches(labels.Set(l)) {
			matched = append(matched, m)
		}
	}
	if len(matched) > 1 {
		return &Error{Index: matched[1].Index, Kind: matched[1].Kind, Name: matched[1].Name, Field: "metadata.labels",
			Err: fmt.Errorf("the client labels %s match two workloads (%s %s in document %d, and this one): the client must be one workload; name its pod with client.pod (%s)",
				labels.Set(h.ClientLabels()), matched[0].Kind, matched[0].Name, matched[0].Index, strings.Join(describePods(matched), "; "))}
	}
	return nil
}

// noClientPod says why client.pod names no pod: what the workload of that
// name has, or which pods the client namespace's workloads make.
func (s *Scenario) noClientPod() error {
	h := s.Header
	name, ns := h.Client.Pod, h.ClientNamespace()
	var here []Manifest
	for _, m := range s.Manifests {
		if _, ok := PodTemplate(m.Object); ok && m.Namespace == ns {
			here = append(here, m)
		}
	}
	for _, m := range here {
		if m.Kind == "StatefulSet" && strings.HasPrefix(name, m.Name+"-") {
			if PodCount(m) == 0 {
				return fmt.Errorf("%s: StatefulSet %s has 0 replicas", name, m.Name)
			}
			return fmt.Errorf("%s: StatefulSet %s has %d replicas (%s)", name, m.Name, PodCount(m), podRange(m))
		}
	}
	for _, m := range s.Manifests {
		if m.Namespace != ns && findPod(m, name) >= 0 {
			return fmt.Errorf("%s: a pod of %s %s in namespace %s, but the client namespace is %s (set client.namespace)", name, m.Kind, m.Name, m.Namespace, ns)
		}
	}
	if len(here) == 0 {
		return fmt.Errorf("%s: no workload in namespace %s makes pods", name, ns)
	}
	return fmt.Errorf("%s: no such pod in namespace %s; its workloads make %s", name, ns, strings.Join(describePods(here), "; "))
}

// describePods lists each workload's pods as the simulated cluster names
// them: "StatefulSet pg: pg-0..pg-2", "Deployment web: web-...-x (simulated
// name)".
func describePods(ms []Manifest) []string {
	var out []string
	for _, m := range ms {
		what := podRange(m)
		if !StableNames(m.Kind) && PodCount(m) > 0 {
			what += " (simulated names)"
		}
		out = append(out, fmt.Sprintf("%s %s: %s", m.Kind, m.Name, what))
	}
	return out
}

// podRange writes a workload's pod names short: a StatefulSet's as
// NAME-0..NAME-N, more than four as the first three and the count.
func podRange(m Manifest) string {
	n := PodCount(m)
	switch {
	case n == 0:
		return "no pods"
	case n > 2 && m.Kind == "StatefulSet":
		return PodName(m, 0) + ".." + PodName(m, n-1)
	case n > 4:
		return fmt.Sprintf("%s, %s, %s, ... (%d pods)", PodName(m, 0), PodName(m, 1), PodName(m, 2), n)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = PodName(m, i)
	}
	return strings.Join(names, ", ")
}

// errNoPod says why client.pod is not a pod name.
var errNoPod = errors.New("not a valid pod name (lower case letters, digits, '-' and '.')")

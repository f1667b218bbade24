package isolate

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/scenario"
)

// rewriter rewrites one scenario's documents; it remembers what later
// steps need (the client workload, Sidecars found).
type rewriter struct {
	iso       *Isolated
	opts      Options
	clientNS  string
	clientSel labels.Selector
	client    scenario.Client

	// clientRef is the workload of client.pod ("" without one); with
	// clientMarked, its pod template gets LabelClient.
	clientRef    string
	clientMarked bool

	haveClient bool
	// namespaceWideSidecar holds live namespaces whose scenario defines a
	// Sidecar without workloadSelector.
	namespaceWideSidecar map[string]bool
	// wildcardImport says which Sidecar of the client imports "*/".
	wildcardImport string
	// sharedAlias says which ExternalName Service names a host isolation
	// does not rename.
	sharedAlias string
}

// InjectAnnotation turns sidecar injection off for one pod.
const InjectAnnotation = "sidecar.istio.io/inject"

// ExportToAnnotation is the Service annotation that limits its visibility.
const ExportToAnnotation = "networking.istio.io/exportTo"

func (r *rewriter) rewrite(m scenario.Manifest) (Manifest, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(m.YAML, &obj); err != nil {
		return Manifest{}, err
	}
	if obj == nil {
		return Manifest{}, errNotMap
	}
	delete(obj, "status") // the API server ignores it; pod IPs cannot be pinned
	meta := child(obj, "metadata")
	out := Manifest{Kind: m.Kind, Name: m.Name, Origin: fmt.Sprintf("document %d of the scenario", m.Index)}
	if m.Kind == "Namespace" {
		out.Name = r.ns(m.Name)
		meta["name"] = out.Name
		l := child(meta, "labels")
		if _, set := l["istio-injection"]; !set {
			l["istio-injection"] = "enabled"
		}
		l[LabelRun] = r.opts.Run
		l[LabelScenario] = labelValue(r.iso.Original.Header.Name)
		child(meta, "annotations")[AnnotationScenario] = r.iso.Original.Header.Name
	} else {
		out.Namespace = r.ns(m.Namespace)
		meta["namespace"] = out.Namespace
	}
	switch m.Kind {
	case "Service":
		if a, ok := meta["annotations"].(map[string]any); ok {
			if v, ok := a[ExportToAnnotation].(string); ok {
				a[ExportToAnnotation] = strings.Join(r.exportTo(strings.Split(v, ",")), ",")
			}
		}
		spec := child(obj, "spec")
		if v, ok := spec["externalName"].(string); ok {
			spec["externalName"] = r.host(v)
			if spec["type"] == "ExternalName" && v != "" && r.host(v) == v && r.sharedAlias == "" {
				r.sharedAlias = fmt.Sprintf("ExternalName Service %s/%s names %s, which isolation cannot rename: istiod adds an alias's names "+
					"to the SNI chain of every service of that host, in any namespace (resolveServiceAliases), so it would change other scenarios' listeners", m.Namespace, m.Name, v)
			}
		}
	case "ServiceEntry":
		spec := child(obj, "spec")
		spec["hosts"] = mapStrings(spec["hosts"], r.host)
		if v, ok := spec["exportTo"]; ok {
			spec["exportTo"] = r.exportTo(toStrings(v))
		}
	case "Sidecar":
		r.sidecar(m, child(obj, "spec"))
	case "VirtualService":
		r.virtualService(child(obj, "spec"))
	case "DestinationRule":
		r.destinationRule(child(obj, "spec"))
	case "EndpointSlice":
		if eps, ok := obj["endpoints"].([]any); ok {
			for _, e := range eps {
				if em, ok := e.(map[string]any); ok {
					if ref, ok := em["targetRef"].(map[string]any); ok {
						if ns, ok := ref["namespace"].(string); ok {
							ref["namespace"] = r.ns(ns)
						}
					}
				}
			}
		}
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job":
		tmpl := child(child(obj, "spec"), "template")
		r.pod(m, child(tmpl, "metadata"), child(tmpl, "spec"))
	case "CronJob":
		tmpl := child(child(child(child(obj, "spec"), "jobTemplate"), "spec"), "template")
		r.pod(m, child(tmpl, "metadata"), child(tmpl, "spec"))
	case "Pod":
		r.pod(m, meta, child(obj, "spec"))
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return Manifest{}, err
	}
	out.YAML = y
	return out, nil
}

// ns maps a namespace the scenario uses to its live name; others (the
// built-in ones) are unchanged.
func (r *rewriter) ns(ns string) string {
	if live, ok := r.iso.Namespaces[ns]; ok {
		return live
	}
	return ns
}

// host renames the namespace of a Kubernetes service hostname
// (NAME.NS.svc.cluster.local, or a wildcard over NS); other hosts are
// unchanged.
func (r *rewriter) host(h string) string { return RenameHost(h, r.iso.Namespaces) }

// RenameHost renames the namespace label of a cluster-local hostname with
// names (old to new); other hostnames are returned unchanged.
func RenameHost(h string, names map[string]string) string {
	trimmed := strings.TrimSuffix(h, ".")
	labels := strings.Split(trimmed, ".")
	n := len(labels)
	if n < 4 || labels[n-3] != "svc" || labels[n-2] != "cluster" || labels[n-1] != "local" {
		return h
	}
	if live, ok := names[labels[n-4]]; ok {
		labels[n-4] = live
		return strings.Join(labels, ".") + h[len(trimmed):]
	}
	return h
}

// exportTo renames namespaces in an exportTo list; ".", "*" and "~" keep
// their meaning.
func (r *rewriter) exportTo(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		v = strings.TrimSpace(v)
		switch v {
		case ".", "*", "~", "":
			out = append(out, v)
		default:
			out = append(out, r.ns(v))
		}
	}
	return out
}

// sidecar renames the namespaces of egress hosts, adds the real default
// namespace beside the scenario's, and notes namespace-wide Sidecars and
// wildcard imports that reach the client.
func (r *rewriter) sidecar(m scenario.Manifest, spec map[string]any) {
	live := r.ns(m.Namespace)
	sel, hasSel := spec["workloadSelector"].(map[string]any)
	if r.namespaceWideSidecar == nil {
		r.namespaceWideSidecar = map[string]bool{}
	}
	if !hasSel {
		r.namespaceWideSidecar[live] = true
	}
	appliesToClient := m.Namespace == r.clientNS
	if hasSel && appliesToClient {
		want := map[string]string{}
		if l, ok := sel["labels"].(map[string]any); ok {
			for k, v := range l {
				want[k] = fmt.Sprint(v)
			}
		}
		appliesToClient = labels.SelectorFromSet(want).Matches(labels.Set(r.iso.Original.Header.ClientLabels()))
	}
	egress, _ := spec["egress"].([]any)
	if len(egress) == 0 && appliesToClient && r.wildcardImport == "" {
		// Istio gives a Sidecar without egress the default egress "*/*"
		// (model/sidecar.go convertToSidecarScope).
		r.wildcardImport = fmt.Sprintf("Sidecar %s/%s has no egress, so it imports \"*/*\" for the client: it would see every scenario running beside it", m.Namespace, m.Name)
	}
	for i, e := range egress {
		em, ok := e.(map[string]any)
		if !ok {
			continue
		}
		var hosts []string
		for _, h := range toStrings(em["hosts"]) {
			ns, dns, ok := strings.Cut(h, "/")
			if !ok {
				hosts = append(hosts, h)
				continue
			}
			excluded := strings.HasPrefix(ns, "~")
			base := strings.TrimPrefix(ns, "~")
			resolved := base
			if base == "." {
				resolved = m.Namespace
			}
			if base == "*" && !excluded && appliesToClient && r.wildcardImport == "" {
				r.wildcardImport = fmt.Sprintf("Sidecar %s/%s imports %q for the client: it would see every scenario running beside it", m.Namespace, m.Name, h)
			}
			newNS := ns
			if base != "." && base != "*" {
				newNS = strings.TrimSuffix(ns, base) + r.ns(base)
			}
			dns = r.host(dns)
			hosts = append(hosts, newNS+"/"+dns)
			if _, renamed := r.iso.Namespaces["default"]; renamed && resolved == "default" {
				// The built-in kubernetes Service stays in the real default
				// namespace: importing the scenario's default imports it too.
				hosts = append(hosts, strings.TrimSuffix(ns, base)+"default/"+dns)
			}
		}
		em["hosts"] = hosts
		egress[i] = em
	}
}

// pod rewrites a pod (or a pod template): the client gets the proxy
// settings of the scenario header, every workload the standard image.
func (r *rewriter) pod(m scenario.Manifest, meta, spec map[string]any) {
	l := map[string]string{}
	if ml, ok := meta["labels"].(map[string]any); ok {
		for k, v := range ml {
			l[k] = fmt.Sprint(v)
		}
	}
	isClient := m.Namespace == r.clientNS && r.clientSel.Matches(labels.Set(l)) && !r.haveClient
	if r.clientRef != "" {
		isClient = m.Ref() == r.clientRef
	}
	if isClient {
		r.haveClient = true
		if r.clientMarked {
			child(meta, "labels")[LabelClient] = "true"
		}
		for k, v := range ClientAnnotations(r.client) {
			child(meta, "annotations")[k] = v
		}
	} else {
		// Only the client gets a proxy: a backend's sidecar never changes
		// the client's outbound listeners, and istiod's per-listener
		// records (push_status) then name only the client.
		child(meta, "annotations")[InjectAnnotation] = "false"
	}
	if r.opts.Image == "" {
		return
	}
	// `sleep infinity` ignores SIGTERM: without this every pod would hold
	// its namespace's deletion for the default 30 s grace period.
	spec["terminationGracePeriodSeconds"] = 0
	delete(spec, "initContainers")
	delete(spec, "volumes")
	delete(spec, "nodeSelector")
	delete(spec, "affinity")
	containers, _ := spec["containers"].([]any)
	for i, c := range containers {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		kept := map[string]any{"name": cm["name"], "image": r.opts.Image, "command": []any{"sleep", "infinity"}}
		if p, ok := cm["ports"]; ok {
			kept["ports"] = p
		}
		containers[i] = kept
	}
}

// ClientAnnotations are the pod annotations that give the client's proxy
// the metadata the scenario header asks for.
func ClientAnnotations(c scenario.Client) map[string]string {
	out := map[string]string{}
	var meta []string
	if c.DNSCapture {
		meta = append(meta, `  ISTIO_META_DNS_CAPTURE: "true"`)
	}
	if c.DNSAutoAllocate {
		meta = append(meta, `  ISTIO_META_DNS_AUTO_ALLOCATE: "true"`)
	}
	if c.Unprivileged {
		meta = append(meta, `  ISTIO_META_UNPRIVILEGED_POD: "true"`)
	}
	if len(meta) > 0 {
		out[scenario.AnnotationProxyConfig] = "proxyMetadata:\n" + strings.Join(meta, "\n") + "\n"
	}
	if c.InterceptionMode != "" && c.InterceptionMode != "REDIRECT" {
		out[scenario.AnnotationInterceptionMode] = c.InterceptionMode
	}
	return out
}

// labelValue fits a name into a label value (63 characters, alphanumeric
// at both ends).
func labelValue(s string) string {
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.TrimRight(s, "-.")
}

func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func mapStrings(v any, f func(string) string) []string {
	in := toStrings(v)
	for i := range in {
		in[i] = f(in[i])
	}
	return in
}

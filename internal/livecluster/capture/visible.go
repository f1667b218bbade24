package capture

import (
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/predictor"
)

// domainSuffix is the cluster domain Service hostnames end in. Approximated:
// a cluster with another domain has other hostnames.
const domainSuffix = clusterdefaults.ServiceDomain

// visibility decides which objects the client's namespace can see. It keeps
// a superset of what the predictor imports (the predictor filters again, so
// an extra object never changes a prediction, a missing one would):
//
//   - exportTo (predictor.ExportedTo): a Service's
//     networking.istio.io/exportTo annotation, a ServiceEntry's
//     spec.exportTo, "*" when empty; "." is the object's own namespace,
//     "~" no one. The mesh-wide defaults (defaultServiceExportTo,
//     serviceEntryVisibility) are not applied here, which only keeps
//     more: they go into the header, and the predictor applies them.
//   - the client's Sidecar (predictor.SidecarFor, as Istio selects it):
//     when it has egress listeners, an object is kept when any egress
//     host of any listener imports one of its hostnames (namespace "*",
//     "." or the object's, host "*", "*.suffix" or exact as
//     predictor.HostMatches, either way round for wildcard hosts). Exclusions (~ns/host) and egress ports are ignored,
//     which only keeps more.
//   - an exact import (ns/exact.host) also keeps objects that are not
//     exported to the client: Istio 1.31 looks those up by host and
//     namespace first (servicesForExactHosts), so an unexported older
//     object there hides a newer exported one.
type visibility struct {
	namespace string
	sidecar   *networkingv1.Sidecar
}

func (v visibility) keeps(namespace string, exportTo, hosts []string) bool {
	if v.exactImport(namespace, hosts) {
		return true
	}
	return predictor.ExportedTo(namespace, exportTo, v.namespace) && v.imports(namespace, hosts)
}

func (v visibility) imports(namespace string, hosts []string) bool {
	if v.sidecar == nil || len(v.sidecar.Spec.Egress) == 0 {
		return true
	}
	for _, eg := range v.sidecar.Spec.Egress {
		for _, imp := range eg.Hosts {
			ns, pattern, _ := strings.Cut(imp, "/")
			if strings.HasPrefix(ns, "~") {
				continue
			}
			if ns == "." {
				ns = v.namespace
			}
			if ns != "*" && ns != namespace {
				continue
			}
			for _, h := range hosts {
				if predictor.HostMatches(pattern, h) || strings.HasPrefix(h, "*") && predictor.HostMatches(h, pattern) {
					return true
				}
			}
		}
	}
	return false
}

func (v visibility) exactImport(namespace string, hosts []string) bool {
	if v.sidecar == nil {
		return false
	}
	for _, eg := range v.sidecar.Spec.Egress {
		for _, imp := range eg.Hosts {
			ns, name, _ := strings.Cut(imp, "/")
			if ns == "." {
				ns = v.namespace
			}
			if ns == namespace && !strings.Contains(name, "*") && slices.Contains(hosts, name) {
				return true
			}
		}
	}
	return false
}

// candidateSidecars are the Sidecars that could configure the client: its
// namespace's without selector or with one its labels match, and the root
// namespace's (the mesh config's rootNamespace) without selector. Others
// never apply to it.
func candidateSidecars(all []*networkingv1.Sidecar, rootNamespace, namespace string, client map[string]string) []*networkingv1.Sidecar {
	var out []*networkingv1.Sidecar
	for _, sc := range all {
		sel := sc.Spec.WorkloadSelector
		switch {
		case sc.Namespace == namespace && (sel == nil || labels.SelectorFromSet(sel.Labels).Matches(labels.Set(client))):
			out = append(out, sc)
		case sc.Namespace == rootNamespace && sel == nil:
			out = append(out, sc)
		}
	}
	return out
}

// serviceHosts is a Service's hostname, as the registry names it.
func serviceHosts(namespace, name string) []string {
	return []string{name + "." + namespace + "." + domainSuffix}
}

// splitExportTo reads the networking.istio.io/exportTo annotation.
func splitExportTo(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, ns := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(ns))
	}
	return out
}

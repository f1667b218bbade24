package capture

import (
	"testing"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/predictor"
)

func sidecar(ns, name string, selector map[string]string, hosts ...string) *networkingv1.Sidecar {
	sc := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if selector != nil {
		sc.Spec.WorkloadSelector = &apiv1alpha3.WorkloadSelector{Labels: selector}
	}
	if len(hosts) > 0 {
		sc.Spec.Egress = []*apiv1alpha3.IstioEgressListener{{Hosts: hosts}}
	}
	return sc
}

func TestVisibility(t *testing.T) {
	limited := sidecar("shop", "default", nil, "./*", "team-b/*.internal", "ops/db.ops.example.com", "~/*")
	for _, tc := range []struct {
		name     string
		sidecar  *networkingv1.Sidecar
		ns       string
		exportTo []string
		hosts    []string
		want     bool
	}{
		{"no Sidecar, exported by default", nil, "far", nil, []string{"a.far.svc.cluster.local"}, true},
		{"exported to its own namespace only", nil, "team-b", []string{"."}, []string{"x"}, false},
		{"exported to the client's namespace by name", nil, "team-b", []string{"shop"}, []string{"x"}, true},
		{"exported to no one", nil, "shop", []string{"~"}, []string{"x"}, false},
		{"own namespace, exported to .", nil, "shop", []string{"."}, []string{"x"}, true},
		{"Sidecar imports ./*", limited, "shop", nil, []string{"web.shop.svc.cluster.local"}, true},
		{"Sidecar imports a suffix", limited, "team-b", nil, []string{"api.internal"}, true},
		{"suffix does not match", limited, "team-b", nil, []string{"api.team-b.svc.cluster.local"}, false},
		{"wildcard host of an object matches an exact import", sidecar("shop", "s", nil, "*/db.example.com"), "ops", nil, []string{"*.example.com"}, true},
		{"namespace not imported", limited, "far", nil, []string{"a.far.svc.cluster.local"}, false},
		{"exact import keeps an unexported object", limited, "ops", []string{"."}, []string{"db.ops.example.com"}, true},
		{"Sidecar without egress limits nothing", sidecar("shop", "s", nil), "far", nil, []string{"a"}, true},
	} {
		v := visibility{namespace: "shop", sidecar: tc.sidecar}
		if got := v.keeps(tc.ns, tc.exportTo, tc.hosts); got != tc.want {
			t.Errorf("%s: keeps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestApplyingSidecarIsIstiosChoice(t *testing.T) {
	client := map[string]string{"app": "client"}
	old := metav1.Unix(100, 0)
	root := sidecar("istio-system", "root", nil)
	nsWide := sidecar("shop", "b-default", nil)
	match := sidecar("shop", "z-match", client)
	olderMatch := sidecar("shop", "zz-older", client)
	olderMatch.CreationTimestamp = old
	match.CreationTimestamp = metav1.Unix(200, 0)
	other := sidecar("shop", "other", map[string]string{"app": "batch"})
	rootSel := sidecar("istio-system", "root-selected", client)

	cands := candidateSidecars([]*networkingv1.Sidecar{root, nsWide, match, other, rootSel}, "istio-system", "shop", client)
	if len(cands) != 3 {
		t.Fatalf("candidates %d, want root, namespace-wide and the match", len(cands))
	}
	// The one that applies is predictor.SidecarFor's choice, among all.
	all := []*networkingv1.Sidecar{root, nsWide, match, other, rootSel}
	if got := predictor.SidecarFor(all, "shop", client); got != match {
		t.Errorf("applies %s, want the selector match", got.Name)
	}
	if got := predictor.SidecarFor([]*networkingv1.Sidecar{match, olderMatch, nsWide}, "shop", client); got != olderMatch {
		t.Errorf("applies %s, want the older match", got.Name)
	}
	if got := predictor.SidecarFor([]*networkingv1.Sidecar{root, nsWide}, "shop", client); got != nsWide {
		t.Errorf("applies %s, want the namespace's", got.Name)
	}
	if got := predictor.SidecarFor([]*networkingv1.Sidecar{root}, "shop", client); got != root {
		t.Errorf("applies %v, want the root's", got)
	}
}

func TestCreationOrderListsOnlyYoungerObjects(t *testing.T) {
	t0 := metav1.Unix(1000, 0).Time
	objs := []object{
		{kind: "Service", namespace: "a", name: "z", created: t0, tiebreak: "z"},
		{kind: "Service", namespace: "b", name: "late-b", created: t0.Add(5e9), tiebreak: "late-b"},
		{kind: "ServiceEntry", namespace: "a", name: "se", created: t0.Add(5e9), tiebreak: "alpha.example.com"},
		{kind: "EndpointSlice", namespace: "a", name: "z-1", created: t0.Add(9e9)},
		{kind: "Sidecar", namespace: "a", name: "default", created: t0.Add(2e9), tiebreak: "default"},
	}
	got := creationOrder(objs)
	want := []string{"Sidecar/a/default", "ServiceEntry/a/se", "Service/b/late-b"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("creationOrder %v, want %v", got, want)
	}
	if got := creationOrder(objs[:1]); got != nil {
		t.Errorf("one age: %v", got)
	}
}

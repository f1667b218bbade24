package e2erun

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/listenerlab/listenerlab/internal/offline/istiod"
)

// registryProvider is a provider whose istiod's registry lists the hosts
// of the ServiceEntries of the run's Istio clientset.
type registryProvider struct{ provider }

func (registryProvider) debug(ctx context.Context, r *Run, path string) ([]byte, error) {
	var svcs []map[string]string
	if path == istiod.RegistryzPath {
		ses, err := r.ic.NetworkingV1().ServiceEntries("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, se := range ses.Items {
			for _, h := range se.Spec.Hosts {
				svcs = append(svcs, map[string]string{"hostname": h})
			}
		}
	}
	return json.Marshal(svcs)
}

// TestRefreshServicesReplacesTheMarkersHost: each refresh gives the
// sentinel namespace's marker ServiceEntry a new host, exported to that
// namespace only, and returns once istiod's registry has it; without a
// sentinel it does nothing.
func TestRefreshServicesReplacesTheMarkersHost(t *testing.T) {
	ctx := context.Background()
	r := testRun(t, ProviderLocal)
	s := r.s
	s.provider = registryProvider{s.provider}
	if err := s.refreshServices(ctx, time.Second); err != nil || s.servicesGen != 0 {
		t.Fatalf("without a sentinel: generation %d, %v", s.servicesGen, err)
	}
	s.sentinel = r
	for _, want := range []string{"gen-1.services-sync.listenerlab.invalid", "gen-2.services-sync.listenerlab.invalid"} {
		if err := s.refreshServices(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		se, err := r.ic.NetworkingV1().ServiceEntries(r.clientNS()).Get(ctx, servicesMarker, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(se.Spec.Hosts) != 1 || se.Spec.Hosts[0] != want || len(se.Spec.ExportTo) != 1 || se.Spec.ExportTo[0] != "." {
			t.Errorf("hosts %v exportTo %v, want [%s] [.]", se.Spec.Hosts, se.Spec.ExportTo, want)
		}
	}
}

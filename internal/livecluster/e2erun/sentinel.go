package e2erun

import (
	"context"
	"fmt"
	"time"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/scenario"
)

// sentinelScenario has one conflict in every Istio version and mesh
// setting: two TCP ServiceEntries on one address and port build identical
// match-all chains, and pilot records the later one's as tcp over tcp on
// ADDRESS_9. Its client is the sentinel of the conflict read windows
// (readTogether). They are exported to their namespace only: a scenario
// whose client has no isolation Sidecar (a Sidecar in the root namespace)
// would otherwise have the sentinel's listener, and its record.
const sentinelScenario = `kind: Scenario
name: sentinel
description: The conflict record that shows a read window saw its own push.
client:
  ipFamily: %s
creationOrder:
- ServiceEntry/default/sentinel-a
- ServiceEntry/default/sentinel-b
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: sentinel-a
spec:
  hosts: [sentinel-a.example.com]
  exportTo: ["."]
  addresses: ["%[2]s"]
  ports: [{number: 9, name: tcp, protocol: TCP}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: sentinel-b
spec:
  hosts: [sentinel-b.example.com]
  exportTo: ["."]
  addresses: ["%[2]s"]
  ports: [{number: 9, name: tcp, protocol: TCP}]
  resolution: NONE
`

// StartSentinel deploys the sentinel scenario for a group of the IP
// family and waits until istiod pushed it to its client; conflict reads
// need it (readTogether). StopSentinel deletes it.
func (s *Suite) StartSentinel(ctx context.Context, cfg *envconf.Config, family controlplane.IPFamily) error {
	addr := "240.240.240.240"
	if family == controlplane.IPv6 {
		addr = "fd00:5e47::240"
	}
	sc, err := scenario.Parse("sentinel.yaml", fmt.Appendf(nil, sentinelScenario, family, addr))
	if err != nil {
		return fmt.Errorf("sentinel scenario: %w", err)
	}
	p, err := deploy.Build(sc, s.planOptions(string(family)))
	if err != nil {
		return fmt.Errorf("sentinel scenario: %w", err)
	}
	r, err := s.NewRun(cfg, p)
	if err != nil {
		return err
	}
	s.step("deploying the sentinel of conflict reads in %s", r.clientNS())
	if err := r.startSentinel(ctx); err != nil {
		_ = r.Teardown(ctx)
		return fmt.Errorf("sentinel scenario: %w", err)
	}
	s.sentinel = r
	return nil
}

// startSentinel sets the sentinel up and runs the steps up to its first
// acknowledged push.
func (r *Run) startSentinel(ctx context.Context) error {
	if err := r.Setup(ctx); err != nil {
		return err
	}
	sim, err := resolve.Simulate(r.p.Iso.Live, r.s.version)
	if err != nil {
		return err
	}
	r.sim = sim
	for _, st := range r.p.Steps {
		switch st.Kind {
		case deploy.WaitPods, deploy.WaitAddresses, deploy.WaitSynced, deploy.ReadWorld:
			if err := r.step(ctx, st); err != nil {
				return fmt.Errorf("%s: %w", st.Kind, err)
			}
		}
	}
	return nil
}

// StopSentinel deletes the sentinel scenario, if one runs.
func (s *Suite) StopSentinel(ctx context.Context) error {
	r := s.sentinel
	s.sentinel = nil
	if r == nil {
		return nil
	}
	return r.Teardown(ctx)
}

// servicesMarker names the ServiceEntry in the sentinel's namespace whose
// host refreshServices replaces: servicesMarkerPrefix, a generation, then
// servicesMarkerDomain.
const (
	servicesMarker       = "listenerlab-services-sync"
	servicesMarkerPrefix = "gen-"
	servicesMarkerDomain = ".services-sync.listenerlab.invalid"
)

// refreshServices makes istiod's next full push rebuild its service index
// from its current endpoints. A full push for a config other than a
// service (the sync marker, an EnvoyFilter) reuses the previous push's
// service index, whose endpoints by port are those istiod held when a
// service last changed (PushContext.updateContext, initServiceRegistry);
// endpoints that arrived since came as incremental EDS updates, so a
// listener per endpoint built from that index (a resolution-NONE
// ServiceEntry sharing a Service's host) misses them until some service
// changes (found by e2e-local: the second pod of the StatefulSet of
// dual-stack-serviceentry-shares-service-pod-addresses). So the sentinel's
// namespace holds a ServiceEntry, exported to that namespace only, whose
// host this replaces, and it waits until istiod's registry has the new
// host: the push that follows is one with a service change. Without a
// sentinel (while the sentinel itself syncs) it does nothing.
func (s *Suite) refreshServices(ctx context.Context, timeout time.Duration) error {
	s.servicesMu.Lock()
	defer s.servicesMu.Unlock()
	r := s.sentinel
	if r == nil {
		return nil
	}
	s.servicesGen++
	host := fmt.Sprintf("%s%d%s", servicesMarkerPrefix, s.servicesGen, servicesMarkerDomain)
	ses := r.ic.NetworkingV1().ServiceEntries(r.clientNS())
	se, err := ses.Get(ctx, servicesMarker, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		se = &networkingv1.ServiceEntry{ObjectMeta: metav1.ObjectMeta{Name: servicesMarker, Namespace: r.clientNS()}}
		se.Spec.ExportTo = []string{"."}
		se.Spec.Location = apiv1alpha3.ServiceEntry_MESH_INTERNAL
		se.Spec.Resolution = apiv1alpha3.ServiceEntry_NONE
		se.Spec.Ports = []*apiv1alpha3.ServicePort{{Number: 19, Name: "tcp", Protocol: "TCP"}}
		se.Spec.Hosts = []string{host}
		_, err = ses.Create(ctx, se, metav1.CreateOptions{})
	case err == nil:
		se.Spec.Hosts = []string{host}
		_, err = ses.Update(ctx, se, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("replacing the host of ServiceEntry %s/%s: %w", r.clientNS(), servicesMarker, err)
	}
	return kindcluster.Wait(ctx, "istiod's registry to have "+host, timeout, r.poll(time.Second), func(ctx context.Context) (bool, string, error) {
		reg, err := r.istiod(ctx, istiod.RegistryzPath)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		have, err := istiod.Hostnames(reg)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		return have[host], "not yet", nil
	})
}

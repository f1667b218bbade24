package e2erun

import (
	"context"
	"fmt"

	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
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

package deploy

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// Step kinds, in the order a plan runs them.
const (
	CreateNamespaces = "create-namespaces"
	Apply            = "apply"
	Pause            = "pause"
	WaitPods         = "wait-pods"
	WaitAddresses    = "wait-addresses"
	WaitSynced       = "wait-synced"
	ReadWorld        = "read-world"
	Predict          = "predict"
	FetchConfigDump  = "fetch-config-dump"
	ReadConflicts    = "read-conflicts"
	Compare          = "compare"
	CaptureRoundTrip = "capture-round-trip"
	DeleteNamespaces = "delete-namespaces"
)

// Step is one thing the suite does for a scenario.
type Step struct {
	Kind string
	// Text says what the step does, for the dry run and for errors.
	Text string
	// Manifests are the objects the step creates.
	Manifests []isolate.Manifest
	// Timeout bounds the step (waits and deletions); zero for instant ones.
	Timeout time.Duration
	// Command is the exec argument vector of a step that runs one.
	Command []string
}

// Timeouts bound the waits of a plan.
type Timeouts struct {
	Pods, Addresses, Synced, ConfigDump, Delete time.Duration
}

// DefaultTimeouts suit a laptop running 50 scenarios at once.
var DefaultTimeouts = Timeouts{Pods: 4 * time.Minute, Addresses: time.Minute, Synced: 2 * time.Minute, ConfigDump: 30 * time.Second, Delete: 2 * time.Minute}

// Options configure plans.
type Options struct {
	Version  versions.Version
	Isolate  isolate.Options
	Timeouts Timeouts
	// IPFamily is the cluster's: IPv4, IPv6 or DualStack.
	IPFamily string
}

// Plan is everything the suite does for one scenario.
type Plan struct {
	Scenario string
	File     string
	Iso      *isolate.Isolated
	Steps    []Step
	// Skip, when set, says why the scenario does not run here.
	Skip string
}

// Build plans one scenario. A scenario that does not apply to the version
// or needs another IP family gets a plan with Skip set and no steps.
func Build(sc *scenario.Scenario, o Options) (*Plan, error) {
	p := &Plan{Scenario: sc.Header.Name, File: sc.Path}
	if !sc.Header.AppliesTo(o.Version) {
		p.Skip = fmt.Sprintf("the scenario applies to Istio %s", sc.Header.Versions)
		return p, nil
	}
	family := sc.Header.Client.IPFamily
	if family == "" {
		family = "IPv4"
	}
	cluster := o.IPFamily
	if cluster == "" {
		cluster = "IPv4"
	}
	if family != cluster {
		p.Skip = fmt.Sprintf("the scenario needs IP family %s and this cluster is %s (make e2e KIND_CONFIG=fixtures/kind-config-%s.yaml E2E_IP_FAMILY=%s)", family, cluster, strings.ToLower(family), family)
		return p, nil
	}
	iso, err := isolate.Isolate(sc, o.Isolate)
	if err != nil {
		return nil, err
	}
	p.Iso = iso
	t := o.Timeouts
	if t == (Timeouts{}) {
		t = DefaultTimeouts
	}
	batches := Batches(iso)
	p.add(Step{Kind: CreateNamespaces, Text: fmt.Sprintf("create namespaces %s with sidecar injection", strings.Join(iso.LiveNamespaces(), ", ")), Manifests: batches[0]})
	for i, b := range batches[1:] {
		if i == 0 {
			p.add(Step{Kind: Apply, Text: "apply the scenario's objects together, as one kubectl apply would, starting at the beginning of a second so that they share one creationTimestamp", Manifests: b})
			continue
		}
		p.add(Step{Kind: Pause, Text: "wait until the API server's clock is past the previous object's creationTimestamp second (Istio orders services by creation time)", Timeout: 2 * time.Second})
		p.add(Step{Kind: Apply, Text: fmt.Sprintf("apply creationOrder[%d] %s", i-1, b[0].Ref()), Manifests: b})
	}
	p.add(Step{Kind: WaitPods, Text: "wait until every pod of the scenario is Running and Ready, its EndpointSlices list the ready pods, and the client has its istio-proxy", Timeout: t.Pods})
	p.add(Step{Kind: WaitAddresses, Text: "wait until Istio's allocation controller wrote status.addresses into every ServiceEntry the simulation gives addresses to", Timeout: t.Addresses})
	p.add(Step{Kind: WaitSynced, Text: "wait until istiod's registry holds every Service and ServiceEntry host and its config store every Istio object, change the sync marker, then wait until istiod's /debug/syncz shows the client acknowledging CDS, LDS and RDS of a later push",
		Timeout: t.Synced, Command: istiod.DebugCommand(istiod.SynczPath)})
	p.add(Step{Kind: ReadWorld, Text: "read the live World: namespaces, Services with ClusterIPs, pods with IPs, EndpointSlices, ServiceEntries with status addresses, WorkloadEntries, Sidecars, the client proxy"})
	p.add(Step{Kind: Predict, Text: fmt.Sprintf("predict the client's outbound listeners on the live World with the Istio %s rules", o.Version.Label)})
	p.add(Step{Kind: FetchConfigDump, Text: "fetch the client sidecar's config dump in container " + istiod.ProxyContainer, Timeout: t.ConfigDump, Command: istiod.ConfigDumpCommand()})
	p.add(Step{Kind: ReadConflicts, Text: "change the sync marker of the client, of the other scenarios waiting at this step and of the group's sentinel scenario (two TCP ServiceEntries on one address: a conflict record of its own), wait until all of them acknowledged one push, twice, and read istiod's conflict records for the client (/debug/push_status) and the pilot_conflict_* gauges (/metrics); read again when the sentinel's record is missing (the records are another push's) or another proxy's record is on one of the client's listener names",
		Timeout: t.Synced, Command: istiod.DebugCommand(istiod.PushStatusPath)})
	p.add(Step{Kind: Compare, Text: "compare prediction and config dump at every level (listeners, addresses, filter chain matches, destinations), conflicts, listeners in error_state, and the scenario's expectations (live addresses translated to the simulated ones)"})
	p.add(Step{Kind: CaptureRoundTrip, Text: "capture the client from the cluster as listenerlab capture does (list and get only) and check that the captured scenario predicts the listeners and conflicts the live World predicts (built-in Services and the client's pods at the resolver's addresses)"})
	p.add(Step{Kind: DeleteNamespaces, Text: fmt.Sprintf("delete namespaces %s and wait until they are gone", strings.Join(iso.LiveNamespaces(), ", ")), Timeout: t.Delete})
	return p, nil
}

func (p *Plan) add(s Step) { p.Steps = append(p.Steps, s) }

// Batches splits the isolated scenario's manifests into what is created
// together: the namespaces, then every object not in creationOrder (the
// objects Istio orders, Services, ServiceEntries and VirtualServices, first
// so that they are created within one second), then each creationOrder object alone,
// oldest first. Support objects go with the second batch.
func Batches(iso *isolate.Isolated) [][]isolate.Manifest {
	ordered := map[string]int{}
	for i, ref := range iso.Live.Header.CreationOrder {
		m, _ := iso.Live.Find(ref)
		ordered[m.Ref()] = i + 1
	}
	var namespaces, first, rest []isolate.Manifest
	late := make([][]isolate.Manifest, len(ordered))
	for _, m := range iso.Manifests {
		switch {
		case m.Kind == "Namespace":
			namespaces = append(namespaces, m)
		case ordered[m.Ref()] > 0:
			late[ordered[m.Ref()]-1] = []isolate.Manifest{m}
		case OrderMatters(m.Kind):
			first = append(first, m)
		default:
			rest = append(rest, m)
		}
	}
	return append([][]isolate.Manifest{namespaces, append(first, rest...)}, late...)
}

// OrderMatters reports whether Istio orders objects of the kind by
// creation time: services (SortServicesByCreationTime) and
// VirtualServices (initVirtualServices reads them oldest first).
func OrderMatters(kind string) bool {
	return kind == "Service" || kind == "ServiceEntry" || kind == "VirtualService"
}

// Write prints the plan: every step, and every manifest as applied.
func (p *Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "=== scenario %s (%s)\n", p.Scenario, p.File)
	if p.Skip != "" {
		fmt.Fprintf(w, "SKIP: %s\n\n", p.Skip)
		return
	}
	iso := p.Iso
	fmt.Fprintf(w, "namespaces:")
	for _, o := range slices.Sorted(maps.Keys(iso.Namespaces)) {
		fmt.Fprintf(w, " %s -> %s", o, iso.Namespaces[o])
	}
	fmt.Fprintln(w)
	if iso.Exclusive != "" {
		fmt.Fprintf(w, "runs alone: %s\n", iso.Exclusive)
	} else {
		fmt.Fprintln(w, "runs beside other scenarios")
	}
	for _, warn := range iso.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for i, s := range p.Steps {
		fmt.Fprintf(w, "step %d %s: %s", i+1, s.Kind, s.Text)
		if s.Timeout > 0 {
			fmt.Fprintf(w, " (deadline %s)", s.Timeout)
		}
		if len(s.Command) > 0 {
			fmt.Fprintf(w, "\n  exec: %q", s.Command)
		}
		fmt.Fprintln(w)
		for _, m := range s.Manifests {
			fmt.Fprintf(w, "--- # %s: %s\n%s", m.Ref(), m.Origin, m.YAML)
		}
	}
	fmt.Fprintln(w)
}

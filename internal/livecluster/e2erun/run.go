package e2erun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/world"
)

// Run runs one scenario's plan: Setup deploys it, the stages of the
// assessment (Stages, AssessStage) wait, read, predict and compare,
// Teardown deletes its namespaces. A feature of the e2e suite drives one
// Run.
type Run struct {
	s     *Suite
	p     *deploy.Plan
	kc    klient.Client
	cs    kubernetes.Interface
	ic    istioclient.Interface
	rc    *rest.Config
	start time.Time
	err   error
	// what assess found, for the verdict and the artifacts
	res        compare.Result
	sim        *world.World
	conflicts  []listener.Conflict
	gauges     map[string]float64
	rt         *RoundTrip
	verdict    *Verdict
	live       *world.World
	pred       *predictor.Prediction
	configDump []byte
	pushStatus []byte
	marker     int
	clientPod  string // the client's pod, once waitSynced found it
}

// NewRun prepares the run of one plan on the suite's cluster: the one
// the suite's kubeconfig names now (the local provider starts a control
// plane per IP family, after the framework copied cfg for the features).
func (s *Suite) NewRun(cfg *envconf.Config, p *deploy.Plan) (*Run, error) {
	if s.kubecfg != "" {
		cfg = envconf.NewWithKubeConfig(s.kubecfg)
	}
	kc, err := cfg.NewClient()
	if err != nil {
		return nil, fmt.Errorf("%s: kubernetes client: %w", p.Scenario, err)
	}
	// The sync marker changes of a conflict read window must reach istiod
	// within its debounce: no client-side throttling (client-go's default
	// is 5 requests a second, which the sentinel's client, in every window,
	// exceeded; found by e2e-local).
	rc := rest.CopyConfig(kc.RESTConfig())
	rc.QPS, rc.Burst, rc.RateLimiter = 1000, 1000, nil
	if kc, err = klient.New(rc); err != nil {
		return nil, fmt.Errorf("%s: kubernetes client: %w", p.Scenario, err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: kubernetes client: %w", p.Scenario, err)
	}
	ic, err := istioclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: istio client: %w", p.Scenario, err)
	}
	return &Run{s: s, p: p, kc: kc, cs: cs, ic: ic, rc: rc, start: time.Now()}, nil
}

func (r *Run) clientNS() string { return r.p.Iso.ClientNamespace() }

// poll is how often a wait checks: a quarter of d where checks are cheap
// API and HTTP calls on loopback (local provider), d where each is an exec
// into a pod (kind).
func (r *Run) poll(d time.Duration) time.Duration {
	if r.s.provider.injects() {
		return d
	}
	return d / 4
}

// Setup runs the plan's steps up to the waits: namespaces, then each
// batch, pausing between creationOrder objects. After an error, Fail
// records it; Teardown runs in every case.
func (r *Run) Setup(ctx context.Context) error {
	var previous time.Time
	for _, s := range r.p.Steps {
		switch s.Kind {
		case deploy.CreateNamespaces:
			if err := r.create(ctx, s.Manifests); err != nil {
				return err
			}
		case deploy.Pause:
			// Creation timestamps have one-second resolution: start the
			// next batch in the second after the previous one's.
			if err := kindcluster.Until(ctx, previous.Truncate(time.Second).Add(time.Second+50*time.Millisecond)); err != nil {
				return err
			}
		case deploy.Apply:
			if previous.IsZero() {
				// The first batch starts at the beginning of a second so
				// that its ordered objects share one creationTimestamp.
				if err := kindcluster.Until(ctx, time.Now().Truncate(time.Second).Add(time.Second+20*time.Millisecond)); err != nil {
					return err
				}
			}
			stamps, err := r.createStamped(ctx, s.Manifests)
			if err != nil {
				return err
			}
			if err := checkStamps(s, stamps, previous); err != nil {
				return err
			}
			if len(stamps) > 0 {
				previous = stamps[len(stamps)-1]
			} else if previous.IsZero() {
				previous = time.Now()
			}
		}
	}
	return nil
}

// checkStamps makes sure the objects Istio orders got the creation times
// the scenario means: one second for a batch, a later second than the
// previous batch.
func checkStamps(s deploy.Step, stamps []time.Time, previous time.Time) error {
	for i, ts := range stamps {
		if i > 0 && !ts.Equal(stamps[0]) {
			return fmt.Errorf("the objects of step %q were created in different seconds (%s and %s): Istio would order them by time, not by name as the scenario means; run again", s.Text, stamps[0].Format(time.RFC3339), ts.Format(time.RFC3339))
		}
		if !previous.IsZero() && !ts.After(previous) {
			return fmt.Errorf("step %q: creationTimestamp %s is not later than the previous object's %s (is this machine's clock ahead of the API server's?)", s.Text, ts.Format(time.RFC3339), previous.Format(time.RFC3339))
		}
	}
	return nil
}

func (r *Run) create(ctx context.Context, ms []isolate.Manifest) error {
	_, err := r.createStamped(ctx, ms)
	return err
}

// createStamped creates manifests and returns the creation timestamps of
// those Istio orders (Services, ServiceEntries). Those go first, in order,
// then the rest in order: the objects that must share a second are created
// back to back, so a loaded API server (make test runs the pilot checks
// beside this suite) rarely spreads them over two seconds.
func (r *Run) createStamped(ctx context.Context, ms []isolate.Manifest) ([]time.Time, error) {
	var stamps []time.Time
	ordered := make([]isolate.Manifest, 0, len(ms))
	for _, m := range ms {
		if deploy.OrderMatters(m.Kind) {
			ordered = append(ordered, m)
		}
	}
	for _, m := range ms {
		if !deploy.OrderMatters(m.Kind) {
			ordered = append(ordered, m)
		}
	}
	for _, m := range ordered {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(m.YAML, &obj.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Ref(), err)
		}
		if err := r.kc.Resources().Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("creating %s (%s): %w", m.Ref(), m.Origin, err)
		}
		if deploy.OrderMatters(m.Kind) {
			stamps = append(stamps, obj.GetCreationTimestamp().Time)
		}
	}
	return stamps, nil
}

// Verdict is what a Run found for its scenario.
type Verdict struct {
	// Result is the scenario's result as the reports hold it.
	Result compare.Result
	// Text is the verdict as report.txt prints it; for a scenario that did
	// not pass, followed by the folder of its evidence (if any) and the
	// command that reruns just it.
	Text string
	// Capture is the capture round trip, when the scenario got that far.
	Capture *RoundTrip
}

// Passed says whether the scenario passed, its capture round trip
// included.
func (v Verdict) Passed() bool {
	return v.Result.Outcome == compare.Pass && (v.Capture == nil || v.Capture.OK)
}

// conclude records the verdict for the reports, once, and for a scenario
// that did not pass writes its evidence to the artifacts.
func (r *Run) conclude(ctx context.Context) Verdict {
	res := r.res
	res.Duration = time.Since(r.start)
	r.s.record(res)
	var b bytes.Buffer
	report.Verdict(&b, res)
	if r.rt != nil {
		fmt.Fprintln(&b, r.rt)
	}
	v := Verdict{Result: res, Text: b.String(), Capture: r.rt}
	if !v.Passed() {
		dir := r.writeArtifacts(ctx, b.String())
		v.Text = fmt.Sprintf("%s\n  evidence: %s\n  rerun just this scenario: %s", b.String(), dir, r.s.provider.rerun(r.p.File))
	}
	r.verdict = &v
	return v
}

// compare fills the result: prediction against the real dump and
// conflicts (compare.Prediction), and the scenario's own expectations.
func (r *Run) compare() {
	d, err := dump.Parse(r.configDump)
	if err != nil {
		r.res.Outcome, r.res.Err = compare.Error, "config dump of "+r.live.Client.Name+": "+err.Error()
		return
	}
	real := d.Outbound()
	r.res.Real = real
	r.res.Differences = compare.Prediction(r.pred, compare.Real{Dump: d, Conflicts: r.conflicts})
	r.res.Witnesses = compare.Witnessed(r.pred.Findings)
	for _, c := range r.pred.Conflicts {
		if r.gauges[string(c.Kind)] == 0 {
			// istiod sets the gauges from its previous push context: a
			// zero is reported, not failed (see istiod.ParseConflictGauges).
			r.res.AddReason("gauge:"+string(c.Kind), fmt.Sprintf("pilot_conflict gauge for %q reads 0 while the client has that conflict", c.Kind))
		}
	}
	tr := livestate.NewTranslator(r.p.Iso, r.sim, r.live)
	// Addresses pilot hashes from the namespace name are those of the
	// original scenario (its expectations name them), not of the isolated
	// one (found by e2e-local: pilot-hash-allocation-flag-off).
	if _, origPred, err := resolve.Predict(r.p.Iso.Original, r.s.version); err == nil {
		tr.PairAutoAddresses(origPred.Listeners, real)
	}
	expect := r.p.Iso.Original.Header.Expect
	r.res.Expectations = compare.Expectations(expect, r.s.version, tr.Listeners(real), tr.Conflicts(r.conflicts))
	// Requests go through the live listeners (virtualOutbound included)
	// and the route configurations istiod sent, in the scenario's terms.
	ls, opts := d.Handoff()
	if opts.VirtualOutbound != nil {
		vo := tr.Listeners([]listener.Listener{*opts.VirtualOutbound})[0]
		opts.VirtualOutbound = &vo
	}
	opts.Routes = tr.Routes(opts.Routes)
	r.res.Expectations = append(r.res.Expectations, compare.Requests(expect, r.s.version, tr.Listeners(ls), opts.Routes, opts)...)
	r.res.Judge()
}

func (r *Run) waitPods(ctx context.Context, s deploy.Step, want int) error {
	return kindcluster.Wait(ctx, fmt.Sprintf("%d pods of the scenario to be Ready, the client with its istio-proxy", want), s.Timeout, r.poll(2*time.Second), func(ctx context.Context) (bool, string, error) {
		var seen []string
		// Without injection the xDS client stands in for the sidecar.
		ready, total, proxy := 0, 0, !r.s.provider.injects()
		for _, ns := range r.p.Iso.LiveNamespaces() {
			pods, err := r.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, "", kindcluster.Retryable{Err: err}
			}
			for _, p := range pods.Items {
				total++
				if kindcluster.PodReady(p) {
					ready++
				} else {
					seen = append(seen, kindcluster.PodState(p))
				}
				if ns == r.clientNS() && hasContainer(p, istiod.ProxyContainer) {
					proxy = true
				}
			}
		}
		seenText := fmt.Sprintf("%d/%d ready", ready, total)
		if len(seen) > 0 {
			seenText += ": " + strings.Join(seen, "; ")
		}
		if !proxy && total > 0 {
			seenText += "; no istio-proxy container in the client namespace (is sidecar injection on?)"
		}
		return ready >= want && ready == total && proxy, seenText, nil
	})
}

func hasContainer(p corev1.Pod, name string) bool {
	for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
		if c.Name == name {
			return true
		}
	}
	return false
}

// waitAddresses waits for the addresses the allocation controller writes,
// where the simulation says it writes some.
func (r *Run) waitAddresses(ctx context.Context, s deploy.Step, sim *world.World) error {
	want := map[string]int{}
	for _, se := range sim.ServiceEntries {
		if n := len(se.Status.GetAddresses()); n > 0 {
			want[se.Namespace+"/"+se.Name] = n
		}
	}
	if len(want) == 0 {
		return nil
	}
	return kindcluster.Wait(ctx, fmt.Sprintf("status.addresses of %d ServiceEntries", len(want)), s.Timeout, r.poll(time.Second), func(ctx context.Context) (bool, string, error) {
		var missing []string
		for key, n := range want {
			ns, name, _ := strings.Cut(key, "/")
			se, err := r.ic.NetworkingV1().ServiceEntries(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", kindcluster.Retryable{Err: err}
			}
			if got := len(se.Status.GetAddresses()); got < n {
				missing = append(missing, fmt.Sprintf("%s has %d of %d", key, got, n))
			}
		}
		return len(missing) == 0, strings.Join(missing, "; "), nil
	})
}

// istiod fetches a debug path of istiod, the provider's way.
func (r *Run) istiod(ctx context.Context, path string) ([]byte, error) {
	return r.s.provider.debug(ctx, r, path)
}

// bumpMarker changes the sync marker's spec: istiod pushes to the
// client's namespace.
func (r *Run) bumpMarker(ctx context.Context) error {
	r.marker++
	y, err := isolate.MarkerYAML(r.clientNS(), r.marker)
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(y, &obj.Object); err != nil {
		return err
	}
	cur := &unstructured.Unstructured{}
	cur.SetGroupVersionKind(obj.GroupVersionKind())
	if err := r.kc.Resources().Get(ctx, isolate.SyncMarker, r.clientNS(), cur); err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	return r.kc.Resources().Update(ctx, obj)
}

// waitSynced waits until istiod knows every object of the scenario and
// every endpoint of its EndpointSlices (endpointsBehind), then makes
// istiod push to the client and waits for the client to acknowledge that
// push: istiod's sync status, no sleeps.
func (r *Run) waitSynced(ctx context.Context, timeout time.Duration) error {
	client, err := livestate.Read(ctx, livestate.Clients{Kube: r.cs, Istio: r.ic}, livestate.ForIsolated(r.p.Iso))
	if err != nil {
		return err
	}
	hosts := map[string]bool{}
	for _, s := range client.Services {
		hosts[s.Name+"."+s.Namespace+".svc.cluster.local"] = true
	}
	for _, se := range client.ServiceEntries {
		for _, h := range se.Spec.Hosts {
			hosts[h] = true
		}
	}
	configs := map[string]bool{r.clientNS() + "/" + isolate.SyncMarker: true}
	for _, se := range client.ServiceEntries {
		configs[se.Namespace+"/"+se.Name] = true
	}
	for _, sc := range client.Sidecars {
		configs[sc.Namespace+"/"+sc.Name] = true
	}
	for _, vs := range client.VirtualServices {
		configs[vs.Namespace+"/"+vs.Name] = true
	}
	for _, dr := range client.DestinationRules {
		configs[dr.Namespace+"/"+dr.Name] = true
	}
	for _, ef := range client.EnvoyFilters {
		configs[ef.Namespace+"/"+ef.Name] = true
	}
	if err := r.s.provider.attach(ctx, r, client.Client); err != nil {
		return err
	}
	err = kindcluster.Wait(ctx, "istiod to hold every Service, ServiceEntry and Sidecar of the scenario and every endpoint of its EndpointSlices", timeout, r.poll(time.Second), func(ctx context.Context) (bool, string, error) {
		reg, err := r.istiod(ctx, istiod.RegistryzPath)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		have, err := istiod.Hostnames(reg)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		cfgz, err := r.istiod(ctx, istiod.ConfigzPath)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		haveCfg, err := istiod.Configs(cfgz)
		if err != nil {
			return false, "", kindcluster.Retryable{Err: err}
		}
		var missing []string
		for h := range hosts {
			if !have[h] {
				missing = append(missing, "host "+h)
			}
		}
		for c := range configs {
			if haveCfg[c] == "" {
				missing = append(missing, "config "+c)
			}
		}
		behind, err := r.endpointsBehind(ctx)
		if err != nil {
			return false, "", err
		}
		missing = append(missing, behind...)
		return len(missing) == 0, "missing " + strings.Join(missing, ", "), nil
	})
	if err != nil {
		return err
	}
	r.clientPod = client.Client.Name
	_, err = r.s.pushAll(ctx, []*Run{r}, timeout)
	return err
}

// Teardown deletes the scenario's namespaces and waits until they are
// gone, with a context of its own so that it also runs after Ctrl-C; an
// assessment begun but not concluded is concluded first.
func (r *Run) Teardown(ctx context.Context) error {
	if r.res.Scenario != "" && r.verdict == nil {
		// The stages after a failed one were skipped (e2e-framework's
		// --fail-fast): the reports still get the scenario's verdict.
		r.conclude(context.WithoutCancel(ctx))
	}
	r.s.provider.detach(r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deploy.DefaultTimeouts.Delete)
	defer cancel()
	for _, ns := range r.p.Iso.LiveNamespaces() {
		if err := r.cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return kindcluster.Wait(ctx, "namespaces "+strings.Join(r.p.Iso.LiveNamespaces(), ", ")+" to be deleted", deploy.DefaultTimeouts.Delete, r.poll(time.Second), func(ctx context.Context) (bool, string, error) {
		var left []string
		for _, ns := range r.p.Iso.LiveNamespaces() {
			if _, err := r.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil {
				left = append(left, ns)
			} else if !apierrors.IsNotFound(err) {
				return false, "", kindcluster.Retryable{Err: err}
			}
		}
		return len(left) == 0, "still there: " + strings.Join(left, ", "), nil
	})
}

// Failed says whether Setup failed (Fail was called).
func (r *Run) Failed() bool { return r.err != nil }

// Fail records a setup failure and returns its verdict.
func (r *Run) Fail(err error) Verdict {
	r.err = err
	res := compare.Result{Scenario: r.p.Scenario, File: r.p.File, Version: r.s.version.Label, Outcome: compare.Error, Err: "setup: " + err.Error(), Duration: time.Since(r.start)}
	r.s.record(res)
	var b bytes.Buffer
	report.Verdict(&b, res)
	return Verdict{Result: res, Text: fmt.Sprintf("%s\n  rerun just this scenario: %s", b.String(), r.s.provider.rerun(r.p.File))}
}

// writeArtifacts writes the evidence of a failed scenario and returns its
// folder.
func (r *Run) writeArtifacts(ctx context.Context, verdict string) string {
	a := r.s.artifacts
	write := func(file string, data []byte) {
		if len(data) > 0 {
			_, _ = a.WriteScenario(r.p.Scenario, file, data)
		}
	}
	write(kindcluster.ConfigDumpFile, r.configDump)
	write(kindcluster.PushStatusFile, r.pushStatus)
	if r.live != nil {
		b, _ := json.MarshalIndent(r.live, "", "  ")
		write(kindcluster.WorldFile, b)
	}
	if r.pred != nil {
		b, _ := json.MarshalIndent(r.pred, "", "  ")
		write(kindcluster.PredictionFile, b)
	}
	write(kindcluster.DiffFile, []byte(verdict+"\nrerun: "+r.s.provider.rerun(r.p.File)+"\n"))
	write(kindcluster.IstiodLogFile, r.s.provider.istiodLog(ctx, r))
	return a.Scenario(r.p.Scenario)
}

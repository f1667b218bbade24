// Command pilotbackend runs the listener generation of one pinned Istio
// version on a listenerlab World, in process, the way Istio's own unit tests
// do (istio.io/istio/pilot/test/xds), and prints the outbound listeners istiod
// would push to the World's client sidecar as an Envoy admin config dump,
// plus the records istiod kept for that push (its /debug/push_status, which
// holds the listener conflicts), unparsed: the main module parses them with
// the same code that reads a live istiod's.
//
// Usage: pilotbackend [world.json]   (the World is read from stdin without an
// argument or with "-"), or pilotbackend --batch.
//
// Batch mode (--batch) reads a stream of Worlds from stdin, one JSON object
// after another, and answers each with one line on stdout, in order: the
// result object below, or {"format":...,"error":"...","badData":true|false}
// for a World it cannot answer (badData: what exit code 2 means below). The
// process start-up (Istio's package init, about half a second) is paid once;
// each World gets its own fake discovery server, stopped after its answer.
// Istio reads its feature flags at package init, so every World of a batch
// must carry the env the process was started with: a World whose env
// differs is refused (badData). A failure of Istio's test fake still exits 3.
//
// Output on stdout, one JSON object:
//
//	{"format":"listenerlab.pilot-result/v2","istioVersion":"<istio.io/istio module version>",
//	 "proxyVersion":"<ISTIO_VERSION given to the proxy>",
//	 "configDump":<Envoy admin ConfigDump: the client's listeners, then the
//	               route configurations its HTTP chains name over RDS>,
//	 "pushStatus":<PushContext.StatusJSON: {metric: {key: {"proxy","message"}}}>}
//
// Exit codes: 0 success; 2 a World this program cannot read (wrong format,
// bad JSON, an Istio object Istio's validation refuses); 3 Istio's test fake
// reported a failure; 1 anything else. Errors go to stderr.
//
// This directory is its own Go module (go.mod and go.sum come from
// internal/realpilot/backend/modules/LABEL.mod and .sum), built by the main module's pilot.Build,
// which also writes version_gen.go to set proxyIstioVersion.
//
// Feature flags: the World's env values are set with os.Setenv before the
// server is made, but Istio reads most features in package init, before
// main: the runner also passes them as the process environment, which is
// what makes them take effect.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	admin "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	kuberuntime "k8s.io/apimachinery/pkg/runtime"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/mesh"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/log"
)

// proxyIstioVersion is the ISTIO_VERSION the client proxy reports (its
// sidecar is of the same version as istiod). pilot.Build sets it in
// version_gen.go; SetupProxy would otherwise default to an old version.
var proxyIstioVersion string

const (
	exitOK      = 0
	exitOther   = 1
	exitBadData = 2
)

// errBadData marks errors caused by the World (exit code 2).
var errBadData = errors.New("bad World")

func main() {
	// Istio's logger writes to stdout by default; stdout carries the result.
	// Keep the real stdout for the result and send everything else,
	// including anything that prints to os.Stdout, to stderr.
	stdout := os.Stdout
	os.Stdout = os.Stderr
	configureLogging()

	if len(os.Args) == 2 && os.Args[1] == "--batch" {
		os.Exit(profiled(func() int { return batch(os.Stdin, stdout) }))
	}

	f := &failer{}
	out, err := run(os.Args[1:], f)
	if f.failed() {
		f.exit()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pilot backend:", err)
		if errors.Is(err, errBadData) {
			os.Exit(exitBadData)
		}
		os.Exit(exitOther)
	}
	f.removeTempDirs()
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "pilot backend: writing result:", err)
		os.Exit(exitOther)
	}
	os.Exit(exitOK)
}

// configureLogging sends Istio's logs to stderr at warn level
// (LISTENERLAB_PILOT_LOG=debug|info|warn|error|none changes the level).
func configureLogging() {
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	level := log.WarnLevel
	switch strings.ToLower(os.Getenv("LISTENERLAB_PILOT_LOG")) {
	case "debug":
		level = log.DebugLevel
	case "info":
		level = log.InfoLevel
	case "error":
		level = log.ErrorLevel
	case "none":
		level = log.NoneLevel
	}
	opts.SetDefaultOutputLevel(log.OverrideScopeName, level)
	if err := log.Configure(opts); err != nil {
		fmt.Fprintln(os.Stderr, "pilot backend: configuring logs:", err)
	}
}

func readInput(args []string) ([]byte, error) {
	switch {
	case len(args) > 1:
		return nil, fmt.Errorf("%w: usage: pilotbackend [world.json]", errBadData)
	case len(args) == 1 && args[0] != "-":
		b, err := os.ReadFile(args[0])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errBadData, err)
		}
		return b, nil
	}
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("reading World from stdin: %w", err)
	}
	return b, nil
}

func run(args []string, f *failer) ([]byte, error) {
	if proxyIstioVersion == "" {
		return nil, errors.New("built without a proxy Istio version: build it with listenerlab's pilot.Build, which writes version_gen.go")
	}
	data, err := readInput(args)
	if err != nil {
		return nil, err
	}
	w, err := decodeWorld(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadData, err)
	}
	for k, v := range w.Env {
		if err := os.Setenv(k, v); err != nil {
			return nil, fmt.Errorf("%w: env %s: %v", errBadData, k, err)
		}
	}
	return answer(w, f)
}

// profiled runs fn with a CPU profile written to LISTENERLAB_PILOT_CPUPROFILE
// when that is set (to see where a batch spends its time), and the heap
// and goroutines at its end written to LISTENERLAB_PILOT_MEMPROFILE and
// that name + ".goroutines" (to see what a batch keeps from World to
// World). Both are written when stdin ends, not when the process is killed.
func profiled(fn func() int) int {
	if path := os.Getenv("LISTENERLAB_PILOT_MEMPROFILE"); path != "" {
		defer writeProfiles(path)
	}
	path := os.Getenv("LISTENERLAB_PILOT_CPUPROFILE")
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pilot backend: cpu profile:", err)
		return exitOther
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "pilot backend: cpu profile:", err)
		return exitOther
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// writeProfiles writes the heap profile (after a collection) to path and
// every goroutine's stack to path + ".goroutines".
func writeProfiles(path string) {
	runtime.GC()
	for name, file := range map[string]string{"heap": path, "goroutine": path + ".goroutines"} {
		f, err := os.Create(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pilot backend: profile:", err)
			continue
		}
		level := 0
		if name == "goroutine" {
			level = 1
		}
		if err := pprof.Lookup(name).WriteTo(f, level); err != nil {
			fmt.Fprintln(os.Stderr, "pilot backend: profile:", err)
		}
		_ = f.Close()
	}
}

// batch answers every World of in on out, one line each, until in ends.
// It returns the process's exit code.
func batch(in io.Reader, out io.Writer) int {
	if proxyIstioVersion == "" {
		fmt.Fprintln(os.Stderr, "pilot backend: built without a proxy Istio version: build it with listenerlab's pilot.Build")
		return exitOther
	}
	// A batch's live heap stays small (one World's fake server at a time),
	// so the collector's default target makes it run often for little:
	// a target of 3x the live heap cuts the batch's CPU by about a tenth
	// for a few tens of MB more. GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	// A batch answers one World at a time and a fuzz run gets its
	// parallelism from several batches; one P spares the scheduler's
	// spinning and the parallel collector's overhead: about a tenth less
	// CPU a World. GOMAXPROCS, when set, wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	dec := json.NewDecoder(bufio.NewReaderSize(in, 1<<20))
	bw := bufio.NewWriterSize(out, 1<<20)
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return exitOK
			}
			fmt.Fprintln(os.Stderr, "pilot backend: batch: reading the next World:", err)
			return exitBadData
		}
		f := &failer{}
		res, err := batchOne(raw, f)
		if f.failed() {
			f.exit()
		}
		f.cleanup()
		if err != nil {
			line, _ := json.Marshal(struct {
				Format  string `json:"format"`
				Error   string `json:"error"`
				BadData bool   `json:"badData"`
			}{resultFormat, err.Error(), errors.Is(err, errBadData)})
			res = line
		}
		if _, err := bw.Write(append(res, '\n')); err != nil {
			fmt.Fprintln(os.Stderr, "pilot backend: writing result:", err)
			return exitOther
		}
		if err := bw.Flush(); err != nil {
			fmt.Fprintln(os.Stderr, "pilot backend: writing result:", err)
			return exitOther
		}
	}
}

// batchOne answers one World of a batch. The process's environment was set
// once, before Istio's packages read it: a World that asks for another
// value is refused rather than answered with the wrong features.
func batchOne(data []byte, f *failer) ([]byte, error) {
	w, err := decodeWorld(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadData, err)
	}
	for k, v := range w.Env {
		if got, ok := os.LookupEnv(k); !ok || got != v {
			return nil, fmt.Errorf("%w: env %s=%q, but this batch process was started with %s=%q: start one process per env",
				errBadData, k, v, k, got)
		}
	}
	return answer(w, f)
}

// answer builds the client's listeners for w, and the route
// configurations they name, and returns the result JSON.
func answer(w *world, f *failer) ([]byte, error) {
	forgetDebugCollections()
	s, err := newServer(w, f)
	if err != nil {
		return nil, err
	}
	proxy := s.SetupProxy(clientProxy(w.Client))

	// s.Listeners(proxy) is ConfigGen.BuildListeners(proxy, s.PushContext());
	// call it with one push context held here so that the records read
	// below come from the very push that built these listeners.
	push := s.PushContext()
	listeners := s.ConfigGen.BuildListeners(proxy, push)
	if f.failed() {
		return nil, errors.New("building listeners failed")
	}

	names, err := routeNames(listeners)
	if err != nil {
		return nil, err
	}
	routes, err := buildRoutes(s, proxy, push, names)
	if err != nil {
		return nil, err
	}
	if f.failed() {
		return nil, errors.New("building routes failed")
	}

	dump, err := configDump(listeners, routes)
	if err != nil {
		return nil, err
	}
	status, err := pushStatus(push)
	if err != nil {
		return nil, err
	}
	return encodeResult(dump, status)
}

// setMeshConfig sets opts.MeshConfig to Istio's default mesh config with
// the World's meshConfig applied over it, as istiod reads its mesh config.
func setMeshConfig(w *world, opts *xds.FakeOptions) error {
	opts.MeshConfig = mesh.DefaultMeshConfig()
	if len(w.MeshConfig) == 0 {
		return nil
	}
	js, err := json.Marshal(w.MeshConfig)
	if err != nil {
		return fmt.Errorf("%w: meshConfig: %v", errBadData, err)
	}
	// JSON is YAML: applied over Istio's defaults.
	if opts.MeshConfig, err = mesh.ApplyMeshConfigDefaults(string(js)); err != nil {
		return fmt.Errorf("%w: meshConfig is invalid for this Istio version: %v", errBadData, err)
	}
	return nil
}

// newServer starts Istio's fake discovery server on the World's Istio
// configs, Kubernetes objects and mesh config.
func newServer(w *world, f *failer) (*xds.FakeDiscoveryServer, error) {
	var opts xds.FakeOptions
	if err := setMeshConfig(w, &opts); err != nil {
		return nil, err
	}
	t0 := time.Now().UTC().Truncate(time.Second)
	var err error
	if opts.Configs, err = istioConfigs(w, t0); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadData, err)
	}
	kc, err := fakeKubeClient(kubernetesObjects(w, t0))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadData, err)
	}
	// The only cluster, "Kubernetes", gets kc (see fakeKubeClient).
	opts.KubeClientBuilder = func(...kuberuntime.Object) kubelib.Client { return kc }
	s := xds.NewFakeDiscoveryServer(f, opts)
	if f.failed() {
		return nil, errors.New("creating the fake discovery server failed")
	}
	return s, nil
}

// clientProxy is the World's client sidecar as its agent would connect.
func clientProxy(c client) *model.Proxy {
	mode := c.InterceptionMode
	if mode == "" {
		mode = string(model.InterceptionRedirect)
	}
	meta := &model.NodeMetadata{
		IstioVersion:     proxyIstioVersion,
		ClusterID:        cluster.ID("Kubernetes"),
		Namespace:        c.Namespace,
		Labels:           c.Labels,
		InterceptionMode: model.TrafficInterceptionMode(mode),
		ServiceAccount:   c.ServiceAccount,
		// A real sidecar's agent reports its status and Prometheus ports
		// (ENVOY_STATUS_PORT, ENVOY_PROMETHEUS_PORT); pilot keeps service
		// listeners off them.
		EnvoyStatusPort:     15021,
		EnvoyPrometheusPort: 15090,
	}
	if c.DNSCapture {
		meta.DNSCapture = true
	}
	if c.DNSAutoAllocate {
		meta.DNSAutoAllocate = true
	}
	if c.Unprivileged {
		meta.UnprivilegedPod = "true"
	}
	return &model.Proxy{
		Type:            model.SidecarProxy,
		ID:              c.Name + "." + c.Namespace,
		IPAddresses:     c.IPs,
		ConfigNamespace: c.Namespace,
		Labels:          c.Labels,
		Metadata:        meta,
	}
}

// encodeResult is the one-line result object (see the package doc).
func encodeResult(dump, status json.RawMessage) ([]byte, error) {
	res := struct {
		Format       string          `json:"format"`
		IstioVersion string          `json:"istioVersion"`
		ProxyVersion string          `json:"proxyVersion"`
		ConfigDump   json.RawMessage `json:"configDump"`
		PushStatus   json.RawMessage `json:"pushStatus"`
	}{
		Format:       resultFormat,
		IstioVersion: istioModuleVersion(),
		ProxyVersion: proxyIstioVersion,
		ConfigDump:   dump,
		PushStatus:   status,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return nil, fmt.Errorf("encoding result: %w", err)
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

// configDump renders listeners and routes as an Envoy admin /config_dump
// does: one ListenersConfigDump whose dynamic_listeners hold each listener
// in active_state, then one RoutesConfigDump (routesDump), proto field
// names, typed_config Anys resolved through the types Istio registers
// (every filter config it can emit is linked in).
func configDump(listeners []*listenerv3.Listener, routes []*routev3.RouteConfiguration) (json.RawMessage, error) {
	ld := &admin.ListenersConfigDump{VersionInfo: "listenerlab"}
	for _, l := range listeners {
		a, err := anypb.New(l)
		if err != nil {
			return nil, fmt.Errorf("config dump: listener %s: %w", l.GetName(), err)
		}
		ld.DynamicListeners = append(ld.DynamicListeners, &admin.ListenersConfigDump_DynamicListener{
			Name: l.GetName(),
			ActiveState: &admin.ListenersConfigDump_DynamicListenerState{
				VersionInfo: "listenerlab",
				Listener:    a,
			},
		})
	}
	la, err := anypb.New(ld)
	if err != nil {
		return nil, fmt.Errorf("config dump: %w", err)
	}
	ra, err := routesDump(routes)
	if err != nil {
		return nil, err
	}
	js, err := protojson.MarshalOptions{UseProtoNames: true, Resolver: protoregistry.GlobalTypes}.
		Marshal(&admin.ConfigDump{Configs: []*anypb.Any{la, ra}})
	if err != nil {
		return nil, fmt.Errorf("config dump: %w", err)
	}
	// protojson output is not byte-stable; compact it to one canonical form.
	var buf bytes.Buffer
	if err := json.Compact(&buf, js); err != nil {
		return nil, fmt.Errorf("config dump: %w", err)
	}
	return buf.Bytes(), nil
}

// pushStatus is what istiod serves as /debug/push_status for push: its
// ProxyStatus records (pilot_conflict_* and the other push errors, by metric
// and key, each with the proxy and pilot's message), compacted. Listener
// generation records a conflict with push.AddMetric while it builds, so
// these are the records of the very push that built the listeners.
func pushStatus(push *model.PushContext) (json.RawMessage, error) {
	js, err := push.StatusJSON()
	if err != nil {
		return nil, fmt.Errorf("push status: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, js); err != nil {
		return nil, fmt.Errorf("push status: %w", err)
	}
	return buf.Bytes(), nil
}

// istioModuleVersion is the istio.io/istio module version linked in.
func istioModuleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == "istio.io/istio" {
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}

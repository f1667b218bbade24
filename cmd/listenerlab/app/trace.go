package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/trace"
)

type traceFlags struct {
	to, sni, alpn, host string
	// path, method and headers are the rest of an HTTP request.
	path, method string
	headers      headerList
	tls          bool
	dump         string
	istio        string
	output       string
	// client, namespace and meshConfig trace on plain manifests, as
	// analyze reads them (a witness's command).
	client, namespace, meshConfig string
	// values are --values files (with --client).
	values valuesList
}

// traced is one answer, as -o json prints it: on a scenario's prediction
// (Scenario, File, Version) or on a config dump (Dump).
type traced struct {
	Scenario string       `json:"scenario,omitempty"`
	File     string       `json:"file,omitempty"`
	Version  string       `json:"version,omitempty"`
	Dump     string       `json:"dump,omitempty"`
	Result   trace.Result `json:"result"`
	// NotModelled is the prediction's NotModelled.
	NotModelled []string `json:"notModelled,omitempty"`
}

// runTrace answers "where does this connection go?" on the prediction of
// each scenario, or on a config dump.
func runTrace(args []string, stdout, stderr io.Writer) int {
	var f traceFlags
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.StringVar(&f.to, "to", "", "original destination of the connection: IP:PORT or [IPv6]:PORT (required)")
	fs.StringVar(&f.sni, "sni", "", "TLS server name; implies --tls")
	fs.StringVar(&f.alpn, "alpn", "", "application protocols, comma-separated, most preferred first (TLS ALPN; for plaintext, the HTTP version: h2 or http/1.1)")
	fs.StringVar(&f.host, "host", "", "HTTP Host header of a plaintext request (implies ALPN http/1.1)")
	fs.StringVar(&f.path, "path", "", "HTTP request path with its query (default /), matched by the route configuration")
	fs.StringVar(&f.method, "method", "", "HTTP request method (default GET)")
	fs.Var(&f.headers, "header", "HTTP request header NAME=VALUE (repeatable)")
	fs.BoolVar(&f.tls, "tls", false, "the connection starts with a TLS ClientHello")
	fs.StringVar(&f.dump, "dump", "", "trace on this config dump (pilot-agent request GET config_dump, istioctl proxy-config all -o json) instead of a prediction")
	fs.StringVar(&f.istio, "istio", versions.Newest().Label, "Istio version whose rules to apply to the scenario; with --client also REVISION=VERSION pairs, as analyze takes them")
	fs.StringVar(&f.output, "o", "text", "output: text or json")
	fs.StringVar(&f.client, "client", "", "trace for this sidecar of plain manifests, NAMESPACE/KEY=VALUE[,KEY=VALUE] (as analyze names it); without it the input is scenario files")
	fs.StringVar(&f.namespace, "namespace", "", "with --client: place manifests without a namespace in this one, as analyze --namespace does")
	fs.Var(&f.values, "values", "with --client: "+valuesUsage)
	fs.StringVar(&f.meshConfig, "mesh-config", "", "with --client: mesh config YAML file (or the istio ConfigMap), as analyze --mesh-config reads it")
	paths, status, ok := parseFlagsOptional(fs, args, stderr)
	if !ok {
		return status
	}
	call, err := f.call()
	if err == nil {
		err = oneOf(f.output, "text", "json")
		if err != nil {
			err = fmt.Errorf("-o: %w", err)
		}
	}
	if err == nil {
		err = f.source(fs, paths)
	}
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab trace: %v\n", err)
		return exitBadInput
	}
	var results []traced
	if f.dump != "" {
		r, err := traceDump(f.dump, call, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "listenerlab trace: %v\n", err)
			return exitBadInput
		}
		results = append(results, r)
	} else if f.client != "" {
		r, err := f.traceManifests(paths, call, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "listenerlab trace: %v\n", err)
			return exitBadInput
		}
		results = append(results, r)
	} else {
		var preds []predicted
		preds, status = predictAll(paths, f.istio, "", stderr)
		for _, p := range preds {
			r := trace.Trace(p.Prediction.Listeners, call, predictor.TraceOptions(p.World, p.Version, p.Prediction))
			results = append(results, traced{Scenario: p.Scenario, File: p.File, Version: p.Prediction.Version, Result: r, NotModelled: p.Prediction.NotModelled})
		}
	}
	var buf bytes.Buffer
	if err := writeTraces(&buf, f.output, results); err != nil {
		fmt.Fprintf(stderr, "listenerlab trace: %v\n", err)
		return exitBadInput
	}
	stdout.Write(buf.Bytes())
	return status
}

// call builds the connection from the flags.
func (f *traceFlags) call() (trace.Call, error) {
	if f.to == "" {
		return trace.Call{}, errors.New("--to ADDRESS:PORT is required")
	}
	to, err := trace.ParseAddress(f.to)
	if err != nil {
		return trace.Call{}, fmt.Errorf("--to: %w", err)
	}
	if err := requestFlags(f.path, f.method); err != nil {
		return trace.Call{}, err
	}
	c := trace.Call{To: to, TLS: f.tls, SNI: f.sni, Host: f.host, Path: f.path, Method: f.method, Headers: f.headers}
	if f.alpn != "" {
		for _, p := range strings.Split(f.alpn, ",") {
			if p = strings.TrimSpace(p); p == "" {
				return trace.Call{}, fmt.Errorf("--alpn %q: an empty protocol", f.alpn)
			}
			c.ALPN = append(c.ALPN, p)
		}
	}
	if strings.ContainsAny(f.sni, " /:") {
		return trace.Call{}, fmt.Errorf("--sni %q: a server name is a DNS name", f.sni)
	}
	return c, nil
}

// traceManifests traces on the prediction of one client of plain
// manifests, loaded as analyze loads them.
func (f *traceFlags) traceManifests(paths []string, call trace.Call, stderr io.Writer) (traced, error) {
	c, err := analyze.ParseClient(f.client)
	if err != nil {
		return traced{}, fmt.Errorf("--client: %w", err)
	}
	_, opts, err := installOptions(f.istio, f.values, stderr)
	if err != nil {
		return traced{}, err
	}
	if f.namespace != "" {
		if !dnsLabelRE.MatchString(f.namespace) {
			return traced{}, fmt.Errorf("--namespace: %q is not a namespace name", f.namespace)
		}
		opts = append(opts, analyze.WithNamespace(f.namespace))
	}
	if f.meshConfig != "" {
		mesh, err := readMeshConfig(f.meshConfig)
		if err != nil {
			return traced{}, fmt.Errorf("--mesh-config: %w", err)
		}
		opts = append(opts, analyze.WithMeshConfigFrom(mesh, "--mesh-config "+f.meshConfig))
	}
	p, w, v, err := analyze.PredictClient(paths, c, opts...)
	if err != nil {
		return traced{}, err
	}
	r := trace.Trace(p.Listeners, call, predictor.TraceOptions(w, v, p))
	printNotModelled(stderr, []notModelledOf{{name: "client " + c.Name, items: p.NotModelled}})
	return traced{Scenario: "client " + c.Name, File: strings.Join(paths, " "), Version: p.Version, Result: r, NotModelled: p.NotModelled}, nil
}

// source checks that the connection is traced on exactly one kind of input.
func (f *traceFlags) source(fs *flag.FlagSet, paths []string) error {
	istioSet := false
	fs.Visit(func(fl *flag.Flag) { istioSet = istioSet || fl.Name == "istio" })
	switch {
	case f.dump != "" && len(paths) > 0:
		return errors.New("give a scenario FILE or --dump, not both")
	case f.dump != "" && istioSet:
		return errors.New("--istio chooses the rules of a prediction; a --dump is what a real istiod built")
	case f.dump == "" && len(paths) == 0:
		return errors.New("give a scenario FILE_OR_DIR, or --dump config_dump.json")
	case f.dump != "" && f.client != "":
		return errors.New("--client picks a sidecar of manifests; a --dump is one sidecar already")
	case f.client == "" && (f.namespace != "" || f.meshConfig != "" || len(f.values) > 0):
		return errors.New("--namespace, --mesh-config and --values read plain manifests: give --client too")
	}
	return nil
}

// traceDump traces on a config dump: every serving listener is a
// candidate, its virtualOutbound keeps what none takes.
func traceDump(path string, c trace.Call, stderr io.Writer) (traced, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return traced{}, err
	}
	d, err := dump.Parse(data)
	if err != nil {
		return traced{}, fmt.Errorf("%s: %w", path, err)
	}
	for _, u := range d.Unreadable {
		fmt.Fprintf(stderr, "warning: %s: listener %q could not be read, it is left out: %s\n", path, u.Name, u.Message)
	}
	ls, opts := d.Handoff()
	if len(ls) == 0 && opts.VirtualOutbound == nil {
		return traced{}, fmt.Errorf("%s: no listener to trace on", path)
	}
	r := trace.Trace(ls, c, opts)
	if opts.VirtualOutbound == nil {
		r.Notes = append(r.Notes, "the dump has no virtualOutbound listener (not an Istio sidecar?): an unmatched connection is assumed to pass through")
	}
	for _, e := range d.Listeners {
		if e.Listener.Name == r.Listener && e.FilterChainMatcher {
			r.Notes = append(r.Notes, r.Listener+" selects its chains with a filter_chain_matcher tree, which is not interpreted: the chain shown may be wrong")
		}
	}
	return traced{Dump: path, Result: r}, nil
}

func writeTraces(w io.Writer, output string, results []traced) error {
	if output == "json" {
		if results == nil {
			results = []traced{}
		}
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	for i, t := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if t.Dump != "" {
			fmt.Fprintf(w, "# config dump %s\n", t.Dump)
		} else {
			fmt.Fprintf(w, "# %s (%s), Istio %s rules\n", t.Scenario, t.File, t.Version)
		}
		writeTrace(w, t.Result)
	}
	return nil
}

// maxKept bounds the survivors printed per step; -o json has them all.
const maxKept = 8

func writeTrace(w io.Writer, r trace.Result) {
	k := r.Connection
	alpn := "no ALPN"
	if len(k.ALPN) > 0 {
		alpn = "ALPN " + strings.Join(k.ALPN, ",")
	}
	sni := "no server name"
	if k.ServerName != "" {
		sni = "SNI " + k.ServerName
	}
	fmt.Fprintf(w, "connection to %s: transport %s, %s, %s\n", r.Call.To, k.Transport, sni, alpn)
	for _, n := range k.Notes {
		fmt.Fprintf(w, "  (%s)\n", n)
	}
	fmt.Fprintln(w, "steps:")
	var previous []string
	for i, s := range r.Steps {
		fmt.Fprintf(w, "  %d. %s %s: %s\n", i+1, s.Step, s.Value, s.Why)
		// Survivors are printed when they change: the first step's
		// listeners, then the chains each time a step prunes.
		same := i > 1 && strings.Join(s.Kept, "\n") == strings.Join(previous, "\n")
		previous = s.Kept
		if same {
			continue
		}
		for j, kept := range s.Kept {
			if j == maxKept {
				fmt.Fprintf(w, "       ... and %d more\n", len(s.Kept)-maxKept)
				break
			}
			fmt.Fprintf(w, "       kept: %s\n", kept)
		}
	}
	fmt.Fprintln(w, "result:")
	fmt.Fprintf(w, "  listener:    %s\n", r.Listener)
	if r.Chain != "" {
		fmt.Fprintf(w, "  chain:       %s\n", r.Chain)
	}
	dest := "none: the connection is closed"
	if r.Destination != nil {
		dest = r.Destination.String()
		if r.Destination.Kind == listener.TCP && len(r.Destination.Weighted) == 0 {
			dest = "cluster " + r.Destination.Cluster
		}
	}
	fmt.Fprintf(w, "  destination: %s\n", dest)
	if r.Reason != "" {
		fmt.Fprintf(w, "  why:         %s\n", r.Reason)
	}
	if r.HTTP != nil {
		how := "no --host given: a client that connects by address sends this; give --host to name the service"
		if r.HTTP.HostGiven {
			how = "from --host"
		}
		if r.HTTP.Routed == nil {
			fmt.Fprintf(w, "  virtual host: chosen by RDS from route %s by Host %q (%s); the route configurations are not known here\n", r.HTTP.Route, r.HTTP.Host, how)
		} else {
			fmt.Fprintf(w, "  host:        %s (%s)\n", r.HTTP.Host, how)
			writeRouted(w, r.HTTP.Routed)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	fmt.Fprintf(w, "answer: %s\n", r.Summary)
}

// parseFlagsOptional is parseFlags for commands whose paths are optional
// (trace --dump, explain --dump): flags may follow the paths, and none is
// required.
func parseFlagsOptional(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, int, bool) {
	fs.SetOutput(stderr)
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitBadInput, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return paths, exitOK, true
		}
		paths = append(paths, args[0])
		args = args[1:]
	}
}

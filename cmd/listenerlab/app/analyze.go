package app

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
)

type analyzeFlags struct {
	output               string
	failOn               string
	istio                string
	maxEndpointListeners int
	clients              clientList
	progress             bool
	namespace            string
	meshConfig           string
	values               valuesList
}

// clientList is the repeatable --client flag.
type clientList []analyze.Client

func (l *clientList) String() string {
	names := make([]string, len(*l))
	for i, c := range *l {
		names[i] = c.Name
	}
	return strings.Join(names, " ")
}

func (l *clientList) Set(s string) error {
	c, err := analyze.ParseClient(s)
	if err != nil {
		return err
	}
	*l = append(*l, c)
	return nil
}

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	var f analyzeFlags
	fs := f.flagSet()
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	v, opts, err := f.options(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadInput
	}
	r, err := analyze.Run(paths, opts...)
	var ie *analyze.InputError
	if err != nil && !errors.As(err, &ie) {
		fmt.Fprintf(stderr, "listenerlab analyze: %v\n", err)
		return exitBadInput
	}
	if ie != nil {
		for _, e := range ie.Errs {
			fmt.Fprintf(stderr, "error: %v\n", e)
		}
	}
	if r == nil {
		// Nothing loaded: CI reads the machine outputs, so the errors
		// go there too.
		if f.output != "text" {
			if out, err := renderAnalysis(f.output, analyze.FailedReport(v.Label, ie)); err == nil {
				stdout.Write(out)
			}
		}
		return exitBadInput
	}
	printNotChecked(stderr, r)
	out, err := renderAnalysis(f.output, r)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab analyze: %v\n", err)
		return exitBadInput
	}
	stdout.Write(out)
	if ie != nil {
		// The rest was analyzed; the status still says an input was
		// refused.
		fmt.Fprintf(stderr, "listenerlab analyze: %d refused (above); the rest was analyzed\n", len(ie.Errs))
		return exitBadInput
	}
	if r.Fails(f.failOn) {
		return exitMismatch
	}
	return exitOK
}

// flagSet declares analyze's flags, filling f.
func (f *analyzeFlags) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.StringVar(&f.output, "o", "text", "output: text, json or sarif")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding at or above this severity exists: error, warning, info or none")
	fs.StringVar(&f.istio, "istio", versions.Newest().Label, istioUsage)
	fs.Var(&f.values, "values", valuesUsage)
	fs.IntVar(&f.maxEndpointListeners, "max-endpoint-listeners", 100, "report headless service ports with more per-endpoint listeners than this")
	fs.BoolVar(&f.progress, "progress", false, "print sidecars predicted so far on stderr every second (default: once a run takes 2s, when stderr is a terminal)")
	fs.Var(&f.clients, "client", "NAMESPACE/KEY=VALUE[,KEY=VALUE]: check only this client (repeatable); it must select a workload of the input")
	fs.StringVar(&f.namespace, "namespace", "", "place manifests without a namespace in this one, as kubectl apply -n does (default: default)")
	fs.StringVar(&f.meshConfig, "mesh-config", "", "mesh config YAML file (or the istio ConfigMap), decoded strictly against MeshConfig, whole; replaces the mesh config of every control plane revision the input installs")
	return fs
}

// options checks the flags and turns them into the version and the
// options of analyze.Run; the error is the line to print.
func (f *analyzeFlags) options(stderr io.Writer) (versions.Version, []analyze.Option, error) {
	if err := oneOf(f.output, "text", "json", "sarif"); err != nil {
		return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: -o: %w", err)
	}
	if _, ok := analyze.ParseFailOn(f.failOn); !ok {
		return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: --fail-on: %w", oneOf(f.failOn, "error", "warning", "info", "none"))
	}
	if f.maxEndpointListeners < 0 {
		return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: --max-endpoint-listeners: %d is negative", f.maxEndpointListeners)
	}
	v, opts, err := installOptions(f.istio, f.values, stderr)
	if err != nil {
		return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: %w", err)
	}
	opts = append(opts, analyze.WithMaxEndpointListeners(f.maxEndpointListeners))
	if len(f.clients) > 0 {
		opts = append(opts, analyze.WithClients(f.clients...))
	}
	if f.progress || isTerminal(stderr) {
		opts = append(opts, analyze.WithProgress(stderr, f.progress))
	}
	if f.namespace != "" {
		if !dnsLabelRE.MatchString(f.namespace) {
			return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: --namespace: %q is not a namespace name", f.namespace)
		}
		opts = append(opts, analyze.WithNamespace(f.namespace), analyze.WithTraceArgs("--namespace", f.namespace))
	}
	if f.meshConfig != "" {
		mesh, err := readMeshConfig(f.meshConfig)
		if err != nil {
			return versions.Version{}, nil, fmt.Errorf("listenerlab analyze: --mesh-config: %w", err)
		}
		opts = append(opts, analyze.WithMeshConfigFrom(mesh, "--mesh-config "+f.meshConfig), analyze.WithTraceArgs("--mesh-config", f.meshConfig))
	}
	return v, opts, nil
}

// printNotChecked writes on stderr what the run left out: manifests that
// do not apply to the version, skipped files and objects, objects defined
// twice, and workloads without a sidecar.
func printNotChecked(stderr io.Writer, r *analyze.Report) {
	for _, s := range r.Skipped {
		fmt.Fprintf(stderr, "skipped: %s does not apply to Istio %s\n", s, r.Version)
	}
	printHints(stderr, r.SkippedObjects)
	if r.SkippedSummary != "" {
		fmt.Fprintf(stderr, "skipped: %s\n", r.SkippedSummary)
	}
	if len(r.Replaced) > 0 {
		fmt.Fprintf(stderr, "replaced: %d objects are defined again later (first: %s at %s, again at %s); the last definition is used, as kubectl apply -f would\n",
			len(r.Replaced), r.Replaced[0].Object, r.Replaced[0].Was, r.Replaced[0].By)
	}
	for _, n := range r.NoSidecar {
		fmt.Fprintf(stderr, "not checked: %s has no sidecar: %s\n", n.Workload, n.Reason)
	}
	for _, n := range r.NotModelled {
		fmt.Fprintf(stderr, "not modelled: %s\n", n)
	}
	printControlPlanes(stderr, r)
}

// printControlPlanes writes on stderr each control plane revision the
// clients use (version, where its mesh config and env come from, its
// clients) and the install's notes.
func printControlPlanes(stderr io.Writer, r *analyze.Report) {
	for _, p := range r.ControlPlanes {
		fmt.Fprintln(stderr, p.Text())
	}
	for _, n := range r.InstallNotes {
		fmt.Fprintf(stderr, "install: %s\n", n)
	}
}

// renderAnalysis renders r as output (text, json or sarif), whole, so
// that a failure writes nothing.
func renderAnalysis(output string, r *analyze.Report) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch output {
	case "json":
		err = analyze.WriteJSON(&buf, r)
	case "sarif":
		err = analyze.WriteSARIF(&buf, r)
	default:
		err = analyze.WriteText(&buf, r)
	}
	return buf.Bytes(), err
}

// isTerminal reports whether w is a terminal, where a progress line on a
// long run helps; in logs it would be noise unless asked for.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var dnsLabelRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// readMeshConfig reads --mesh-config: mesh config YAML, or the istio
// ConfigMap holding it under data.mesh, decoded strictly against
// MeshConfig, whole (every field reaches the World). An error names the
// file, the ConfigMap and the field.
func readMeshConfig(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Data map[string]string `json:"data"`
	}
	where := path
	if yaml.Unmarshal(data, &cm) == nil && cm.Kind == "ConfigMap" {
		mesh, ok := cm.Data["mesh"]
		if !ok {
			return nil, fmt.Errorf("%s: a ConfigMap without data.mesh", path)
		}
		data = []byte(mesh)
		where = fmt.Sprintf("%s: ConfigMap %s/%s: data.mesh", path, cm.Metadata.Namespace, cm.Metadata.Name)
	}
	mesh, err := install.ParseMeshConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return mesh, nil
}

// printHints writes one line per kind of skipped file (Kustomize, Helm):
// how many, the first, and what to do instead.
func printHints(w io.Writer, skipped []scenario.Skipped) {
	var labels []string
	files := map[string][]string{}
	hints := map[string]string{}
	for _, s := range skipped {
		if s.Hint == "" {
			continue
		}
		if _, ok := files[s.Label]; !ok {
			labels = append(labels, s.Label)
		}
		files[s.Label] = append(files[s.Label], s.File)
		hints[s.Label] = s.Hint
	}
	for _, l := range labels {
		more := ""
		if n := len(files[l]); n > 1 {
			more = fmt.Sprintf(" and %d more", n-1)
		}
		fmt.Fprintf(w, "skipped: %s %s%s: %s\n", l, files[l][0], more, hints[l])
	}
}

package analyze

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// Report is what analyze found.
type Report struct {
	// Version is the Istio version whose rules were applied.
	Version string `json:"version"`
	// Sidecars is how many client sidecars were predicted.
	Sidecars int `json:"sidecars"`
	// Clients names the clients checked, sorted.
	Clients []string `json:"clients"`
	// Skipped lists scenario files whose header excludes this version.
	Skipped []string `json:"skipped,omitempty"`
	// Findings are deduplicated across clients and sorted: most severe
	// first, then by code, file and document.
	Findings []Finding `json:"findings"`
	// SkippedSummary counts what the loader left out by kind ("3 Secret,
	// 1 Helm template"); SkippedObjects lists each, with a hint for files.
	SkippedSummary string             `json:"skippedSummary,omitempty"`
	SkippedObjects []scenario.Skipped `json:"skippedObjects,omitempty"`
	// Replaced lists objects defined more than once; the last definition
	// is used, as kubectl apply -f applies files in order.
	Replaced []Replaced `json:"replaced,omitempty"`
	// NoSidecar lists the workloads not checked: they get no sidecar.
	NoSidecar []NoSidecar `json:"noSidecar,omitempty"`
	// ControlPlanes lists, when the input says more about the install
	// than the istio ConfigMap, each control plane revision the clients
	// use: its Istio version, where its mesh config and istiod env came
	// from, and its clients.
	ControlPlanes []ControlPlaneUse `json:"controlPlanes,omitempty"`
	// InstallNotes say what the install objects leave ambiguous, and what
	// of them was not read although it can change outbound listeners.
	InstallNotes []string `json:"installNotes,omitempty"`
	// NotModelled lists settings of checked clients that listenerlab met
	// and does not model (printed "not modelled: ..."), with their effect.
	NotModelled []NotModelled `json:"notModelled,omitempty"`
	// Errors are the documents and files the input refuses (each file,
	// document and field); the rest of the input is analyzed, as kubectl
	// apply -f applies the documents a cluster takes.
	Errors []Problem `json:"errors,omitempty"`
}

// NoSidecar is a workload that gets no sidecar, and why.
type NoSidecar struct {
	Workload string `json:"workload"`
	Reason   string `json:"reason"`
}

// Finding is one predictor finding, with the manifests it involves, the
// clients it applies to and a fix.
type Finding struct {
	Code     predictor.Code     `json:"code"`
	Severity predictor.Severity `json:"severity"`
	Message  string             `json:"message"`
	Why      string             `json:"why,omitempty"`
	Fix      string             `json:"fix"`
	Service  string             `json:"service,omitempty"`
	Port     int                `json:"port,omitempty"`
	Listener string             `json:"listener,omitempty"`
	Objects  []Object           `json:"objects"`
	Clients  []string           `json:"clients"`
	// Witness is the connection that shows the finding, traced for one of
	// its clients; every error and warning has one.
	Witness *Witness `json:"witness,omitempty"`
}

// Witness is a finding's witness connection (predictor.Witness: where it
// is sent, what it was meant for, where it goes), the client it was traced
// for, and the `listenerlab trace` command that replays it.
type Witness struct {
	predictor.Witness
	Client  string `json:"client"`
	Command string `json:"command"`
}

// InputError lists every problem with the input: files that do not load,
// objects defined twice, a scenario that does not resolve.
type InputError struct{ Errs []error }

func (e *InputError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

func (e *InputError) Unwrap() []error { return e.Errs }

// folder is one resolvable set of manifests: all plain manifest files
// together, or one scenario file (with its header) on its own.
type folder struct {
	sc *scenario.Scenario
	// objects locates each manifest by the predictor's Source form.
	objects map[string]Object
	clients []Client
	// noSidecar are the workloads that get no sidecar.
	noSidecar []NoSidecar
	// install is what a headerless folder's input says about the control
	// planes (nil for a scenario file).
	install *install.Install
}

func newFolder(sc *scenario.Scenario) *folder {
	return &folder{sc: sc, objects: map[string]Object{}}
}

// Run analyzes the manifests under paths: files without a Scenario header
// form one folder whose workloads are the clients; a scenario file is
// analyzed on its own, for its header's client. Any input problem is an
// *InputError, and then nothing is analyzed.
func Run(paths []string, opts ...Option) (*Report, error) {
	o := options{version: versions.Newest(), maxEndpointListeners: 100}
	for _, opt := range opts {
		opt.apply(&o)
	}
	o.paths = paths
	prog := newProgress(o)
	folders, skipped, ignored, replaced, refused, err := load(paths, o)
	if err != nil {
		return nil, err
	}
	r := &Report{Version: o.version.Label, Skipped: skipped, Findings: []Finding{}, Clients: []string{},
		SkippedSummary: scenario.SkipSummary(ignored), SkippedObjects: ignored, Replaced: replaced}
	clients, meshNoted := map[string]bool{}, map[string]bool{}
	total, manifests := 0, 0
	for _, f := range folders {
		total += len(f.clients)
		manifests += len(f.sc.Manifests)
	}
	prog.loaded(manifests, total)
	defer prog.done()
	for _, f := range folders {
		found, err := f.analyze(o, prog)
		if err != nil {
			return nil, &InputError{Errs: []error{err}}
		}
		r.Findings = append(r.Findings, found...)
		r.Sidecars += len(f.clients)
		for _, c := range f.clients {
			clients[c.Name] = true
		}
		r.NoSidecar = append(r.NoSidecar, f.noSidecar...)
		r.NotModelled = append(r.NotModelled, meshNotModelled(f, o, meshNoted)...)
		r.NotModelled = append(r.NotModelled, notModelled(f.clients)...)
		if f.install != nil {
			r.ControlPlanes = append(r.ControlPlanes, controlPlanes(f, o)...)
			r.InstallNotes = append(r.InstallNotes, f.install.Notes...)
		}
	}
	r.Clients = sortedKeys(clients)
	if len(o.byRevision) > 0 {
		// --istio REV=VERSION: the rules applied differ by revision.
		var vs []string
		for _, p := range r.ControlPlanes {
			vs = append(vs, p.Revision+"="+p.Version)
		}
		r.Version = strings.Join(vs, ",")
	}
	sortFindings(r.Findings)
	if len(refused) > 0 {
		ie := &InputError{Errs: refused}
		r.Errors = problems(ie)
		return r, ie
	}
	return r, nil
}

// load loads the manifests under paths into folders: one for the files
// without a Scenario header (first, when it holds anything) and one per
// scenario file that applies to the version, each with its clients. It
// also returns the scenario files skipped for the version, the files and
// objects the loader ignored, and the objects defined again later.
//
// The documents and files the input refuses come back as refused beside
// the folders of the rest; err is what stops the run: nothing to analyze,
// or a --client that selects no workload.
func load(paths []string, o options) (folders []*folder, skipped []string, ignored []scenario.Skipped, replaced []Replaced, refused []error, err error) {
	scs, ignored, errs := scenario.LoadAllManifestsWith(paths, scenario.ManifestOptions{Namespace: o.namespace})
	fail := func(errs ...error) ([]*folder, []string, []scenario.Skipped, []Replaced, []error, error) {
		return nil, nil, nil, nil, nil, &InputError{Errs: errs}
	}
	if len(scs) == 0 && len(errs) == 0 {
		return fail(nothingToAnalyze(paths, ignored))
	}
	l := &loader{version: o.version, position: map[string]int{},
		plain: newFolder(&scenario.Scenario{Path: "manifests", Header: scenario.Header{Kind: "Scenario", Name: "manifests"}, Headerless: true})}
	for _, sc := range scs {
		if err := l.add(sc); err != nil {
			return fail(err)
		}
	}
	errs = append(errs, l.errs...)
	plain := l.plain
	for _, f := range append([]*folder{plain}, l.folders...) {
		scenario.ResolveWorkloadRefs(f.sc.Manifests)
	}
	if o.meshConfig != nil {
		plain.sc.Header.MeshConfig = o.meshConfig
	}
	folders = l.folders
	if len(plain.sc.Manifests) > 0 || len(folders) == 0 && len(l.skipped) == 0 {
		folders = append([]*folder{plain}, folders...)
	}
	if cerrs := assignClients(folders, o.clients); len(cerrs) > 0 {
		return fail(append(errs, cerrs...)...)
	}
	if len(plain.clients) > 0 {
		ierrs, err := plain.readInstall(l.install, o)
		if err != nil {
			return fail(append(errs, err)...)
		}
		errs = append(errs, ierrs...)
	}
	if len(scs) == 0 {
		return fail(errs...)
	}
	return folders, l.skipped, ignored, l.replaced, errs, nil
}

// nothingToAnalyze is the error of paths that hold no manifest file, or
// only files the loader ignored.
func nothingToAnalyze(paths []string, ignored []scenario.Skipped) error {
	msg := fmt.Sprintf("no .yaml or .yml files under %s", strings.Join(paths, ", "))
	if len(ignored) > 0 {
		msg = fmt.Sprintf("nothing to analyze under %s: skipped %s", strings.Join(paths, ", "), scenario.SkipSummary(ignored))
	}
	return errors.New(msg)
}

// loader sorts loaded files into folders.
type loader struct {
	version versions.Version
	// plain is the folder of the files without a Scenario header.
	plain *folder
	// folders are the scenario files' folders, in their order.
	folders  []*folder
	skipped  []string
	replaced []Replaced
	// errs are input problems found across files: a second mesh config.
	errs []error
	// meshFrom is where plain's mesh config came from ("" for none).
	meshFrom string
	// install are the plain files' install objects, in input order.
	install []scenario.InstallObject
	// position is the index in plain's manifests of each object, by ref.
	position map[string]int
}

// add adds the file sc: to the plain folder when it has no header, else as
// a folder of its own when it applies to the version.
func (l *loader) add(sc *scenario.Scenario) error {
	l.replaced = append(l.replaced, replacedIn(sc)...)
	lines, err := fileLines(sc.Path)
	if err != nil {
		return err
	}
	f := l.plain
	if !sc.Headerless {
		if !sc.Header.AppliesTo(l.version) {
			l.skipped = append(l.skipped, sc.Path)
			return nil
		}
		f = newFolder(sc)
		l.folders = append(l.folders, f)
	}
	if sc.Headerless && sc.Mesh != nil {
		l.takeMesh(sc)
	}
	if sc.Headerless {
		l.install = append(l.install, sc.Install...)
	}
	for _, m := range sc.Manifests {
		l.addObject(f, sc, m, lines)
	}
	return nil
}

// takeMesh makes the headerless file sc's istio ConfigMap the plain
// folder's mesh config. A second one replaces the first, as kubectl apply
// -f updates the ConfigMap it created (listed under replaced).
func (l *loader) takeMesh(sc *scenario.Scenario) {
	here := fmt.Sprintf("%s#%d", sc.Path, sc.Mesh.Index)
	if l.meshFrom != "" {
		l.replaced = append(l.replaced, Replaced{Object: "ConfigMap " + scenario.MeshNamespace + "/" + scenario.MeshConfigMap, Was: l.meshFrom, By: here})
	}
	l.meshFrom = here
	l.plain.sc.Header.MeshConfig = sc.Mesh.Config
}

// addObject records the manifest m of file sc (lines: its documents' first
// lines) in folder f. In the plain folder a later definition of an object
// replaces the earlier one in place, as kubectl apply -f would.
func (l *loader) addObject(f *folder, sc *scenario.Scenario, m scenario.Manifest, lines []int) {
	plain := l.plain
	obj := Object{Kind: m.Kind, Namespace: m.Namespace, Name: m.Name, File: sc.Path, Document: m.Index}
	if m.Index-1 < len(lines) {
		obj.Line = lines[m.Index-1]
	}
	if prev, dup := f.objects[obj.ref()]; dup && f == plain {
		// kubectl apply -f applies files in this order: a later
		// definition updates the object the first one created.
		l.replaced = append(l.replaced, Replaced{Object: prev.ref(), Was: prev.Location(), By: obj.Location()})
		plain.sc.Manifests[l.position[obj.ref()]] = m
		f.objects[obj.ref()] = obj
		return
	}
	f.objects[obj.ref()] = obj
	if f == plain {
		l.position[obj.ref()] = len(plain.sc.Manifests)
		plain.sc.Manifests = append(plain.sc.Manifests, m)
	}
}

// assignClients gives every folder its clients: the ones asked for (each
// must select a workload of a headerless folder), a scenario's header
// client, or the workloads of a headerless folder.
func assignClients(folders []*folder, clients []Client) []error {
	var errs []error
	for _, f := range folders {
		switch {
		case len(clients) > 0:
			f.clients = clients
			if f.sc.Headerless {
				errs = append(errs, unmatchedClients(f.sc.Manifests, clients)...)
			}
		case !f.sc.Headerless:
			h := f.sc.Header
			f.clients = []Client{{Namespace: h.ClientNamespace(), Labels: h.ClientLabels(), Name: selectorName(h.ClientNamespace(), h.ClientLabels())}}
		default:
			f.clients, f.noSidecar = discoverClients(f.sc.Manifests)
		}
	}
	return errs
}

// Replaced is an object defined again later in the input: as `kubectl
// apply -f` would, the later definition is used.
type Replaced struct {
	Object string `json:"object"`
	Was    string `json:"was"`
	By     string `json:"by"`
}

// replacedIn lists the objects a plain manifest file defines twice.
func replacedIn(sc *scenario.Scenario) []Replaced {
	var out []Replaced
	for _, r := range sc.Replaced {
		out = append(out, Replaced{Object: r.Ref, Was: fmt.Sprintf("%s#%d", sc.Path, r.Index), By: fmt.Sprintf("%s#%d", sc.Path, r.By)})
	}
	return out
}

// fileLines returns the start line of each document of a file.
func fileLines(path string) ([]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &scenario.Error{File: path, Err: err}
	}
	return documentLines(data), nil
}

// analyze predicts every client's sidecar and merges the findings: one per
// code, service, port, listener and message, listing its clients.
func (f *folder) analyze(o options, prog *progress) ([]Finding, error) {
	if o.unshared {
		return f.analyzeEach(o, prog)
	}
	return f.analyzeShared(o, prog)
}

// analyzeEach is the unshared computation: each client's scenario resolved
// and predicted on its own. analyzeShared must give the same findings.
func (f *folder) analyzeEach(o options, prog *progress) ([]Finding, error) {
	var out []Finding
	byKey := map[string]int{}
	for _, c := range f.clients {
		p, err := f.predictOne(c, o)
		if err != nil {
			return nil, err
		}
		prog.client()
		for _, pf := range p.Findings {
			key := findingKey(pf)
			if i, ok := byKey[key]; ok {
				if !slices.Contains(out[i].Clients, c.Name) {
					out[i].Clients = append(out[i].Clients, c.Name)
				}
				continue
			}
			objs := f.objectsOf(pf)
			if !fromFolder(objs) {
				continue
			}
			byKey[key] = len(out)
			out = append(out, Finding{
				Code: pf.Code, Severity: pf.Severity, Message: pf.Message, Why: pf.Why, Fix: ruleFor(pf.Code).Fix,
				Service: pf.Service, Port: pf.Port, Listener: pf.Listener, Objects: objs, Clients: []string{c.Name}, Witness: f.witness(pf, c, o),
			})
		}
	}
	for i := range out {
		sort.Strings(out[i].Clients)
	}
	return out, nil
}

// findingKey is what makes two clients' findings one: code, service, port,
// listener and message.
func findingKey(pf predictor.Finding) string {
	return strings.Join([]string{string(pf.Code), pf.Service, strconv.Itoa(pf.Port), pf.Listener, pf.Message, pf.Why}, "\x00")
}

// sidecarRef finds the Sidecar a PortSkipped finding about an egress port
// names; the predictor gives such findings no Source.
var sidecarRef = regexp.MustCompile(`\bSidecar ([^/ ]+)/([^ ]+) egress\[`)

// objectsOf lists the manifests a finding involves: its service, the
// related services the predictor names (a Shadowed conflict's winner
// among them), the Sidecar of a skipped egress port.
func (f *folder) objectsOf(pf predictor.Finding) []Object {
	refs := []string{}
	if pf.Source != "" {
		refs = append(refs, pf.Source)
	}
	refs = append(refs, pf.Related...)
	if m := sidecarRef.FindStringSubmatch(pf.Message); m != nil && pf.Source == "" {
		refs = append(refs, "Sidecar "+m[1]+"/"+m[2])
	}
	var out []Object
	seen := map[string]bool{}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if obj, ok := f.objects[ref]; ok {
			out = append(out, obj)
			continue
		}
		kind, nsName, _ := strings.Cut(ref, " ")
		ns, name, _ := strings.Cut(nsName, "/")
		out = append(out, Object{Kind: kind, Namespace: ns, Name: name, BuiltIn: true})
	}
	return out
}

// fromFolder reports whether a finding involves a manifest of the input;
// findings only about built-in objects (kube-dns's UDP port) are the same in
// every cluster and dropped.
func fromFolder(objs []Object) bool {
	if len(objs) == 0 {
		return true
	}
	for _, o := range objs {
		if !o.BuiltIn {
			return true
		}
	}
	return false
}

func sortFindings(fs []Finding) {
	first := func(f Finding) Object {
		for _, o := range f.Objects {
			if !o.BuiltIn {
				return o
			}
		}
		return Object{}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] > severityRank[b.Severity]
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		oa, ob := first(a), first(b)
		if oa.File != ob.File {
			return oa.File < ob.File
		}
		if oa.Document != ob.Document {
			return oa.Document < ob.Document
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Listener != b.Listener {
			return a.Listener < b.Listener
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return a.Why < b.Why
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/meshconfig"
)

// Scenario is one loaded scenario file.
type Scenario struct {
	// Path is the file the scenario came from.
	Path   string
	Header Header
	// Manifests are the file's other documents, in file order.
	Manifests []Manifest
	// Headerless marks plain manifests read by ParseManifests: the header
	// was made up from the file name.
	Headerless bool
	// Skipped lists the objects (and the file itself, for YAML without
	// Kubernetes objects) that cannot change a sidecar's outbound
	// listeners, or are not modelled yet.
	Skipped []Skipped
	// Mesh is the istio ConfigMap of istio-system when the file holds
	// it; its mesh config is merged under Header.MeshConfig.
	Mesh *MeshSource
	// Replaced lists objects plain manifests define twice: the later
	// definition replaced the earlier, as kubectl apply -f does.
	Replaced []Replacement
	// Install lists the objects that describe the Istio install, kept as
	// written for package scenario/install: IstioOperators, istiod
	// HelmReleases and Argo CD Applications, the mesh ConfigMaps of
	// istio-system, revision tag webhooks, and every other ConfigMap (a
	// HelmRelease's valuesFrom may name it; those stay in Skipped too).
	Install []InstallObject
}

// InstallObject is an object of the input that can describe the Istio
// install, with its place in the input.
type InstallObject struct {
	File string
	// Index is the document (Item its List item, 0 otherwise).
	Index, Item                       int
	APIVersion, Kind, Namespace, Name string
	// JSON is the object as JSON.
	JSON []byte
}

// Replacement is an object defined again in a later document.
type Replacement struct {
	// Ref is "Kind namespace/name"; Index the replaced document, By the
	// document that replaced it.
	Ref       string
	Index, By int
}

// Manifest is one Kubernetes or Istio object from a scenario file.
type Manifest struct {
	// Index is the document's 1-based position in the file.
	Index int
	// Item is the 1-based position in a List document's items (0: none).
	Item       int
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Object is the typed object, e.g. *corev1.Service or
	// *networkingv1.ServiceEntry.
	Object any
	// YAML is the document as written in the file.
	YAML []byte
}

// Ref names the manifest as creationOrder refers to it: Kind/namespace/name.
func (m Manifest) Ref() string { return m.Kind + "/" + m.Namespace + "/" + m.Name }

// Error is a problem with one scenario file, naming the document and field.
type Error struct {
	File string
	// Index is the document's 1-based position (0: the file as a whole).
	Index int
	// Item is the 1-based position in a List document's items (0: none).
	Item int
	Kind string
	Name string
	// Field is the path of the offending field, e.g. spec.ports[0].port.
	Field string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Index > 0 {
		fmt.Fprintf(&b, ": document %d", e.Index)
		if e.Item > 0 {
			fmt.Fprintf(&b, " item %d", e.Item)
		}
		if e.Kind != "" || e.Name != "" {
			fmt.Fprintf(&b, " (%s", e.Kind)
			if e.Name != "" {
				fmt.Fprintf(&b, " %s", e.Name)
			}
			b.WriteString(")")
		}
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem of one file, in document order.
type Errors []*Error

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the errors, for errors.As.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, err := range e {
		out[i] = err
	}
	return out
}

// errorOf is nil for no errors, the one *Error, or Errors.
func errorOf(errs Errors) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errs
}

// Flatten lists the single errors an error of this package holds.
func Flatten(err error) []error {
	var list Errors
	if errors.As(err, &list) {
		return list.Unwrap()
	}
	return []error{err}
}

// ManifestOptions configures how plain manifests load.
type ManifestOptions struct {
	// Namespace places manifests without metadata.namespace, as
	// `kubectl apply -n` does; "default" when empty.
	Namespace string
}

// LoadFile reads and validates one scenario file.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return Parse(path, data)
}

// Parse reads a scenario from data; name is used in errors.
func Parse(name string, data []byte) (*Scenario, error) {
	return parse(name, data, false, ManifestOptions{})
}

// ParseManifests reads plain manifests: a Scenario header is optional, and
// without one the scenario is named after the file and its client is the
// standard client in namespace "default". A file without a header whose
// documents are partly bad returns the scenario of the good ones beside
// the error, as kubectl apply -f applies what it can.
func ParseManifests(name string, data []byte) (*Scenario, error) {
	return parse(name, data, true, ManifestOptions{})
}

// ParseManifestsWith is ParseManifests with options.
func ParseManifestsWith(name string, data []byte, o ManifestOptions) (*Scenario, error) {
	return parse(name, data, true, o)
}

// document is one YAML document of a file, as JSON.
type document struct {
	index int
	yaml  []byte
	json  []byte
	meta  typeMeta
}

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// isList reports whether a document is a List (kind List, or any *List
// kind) holding items.
func isList(kind string, data []byte) ([]json.RawMessage, bool) {
	if !strings.HasSuffix(kind, "List") {
		return nil, false
	}
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if json.Unmarshal(data, &l) != nil || l.Items == nil {
		return nil, false
	}
	return l.Items, true
}

// isJSONPatch reports whether a document is a YAML list of JSON patch
// operations, as a Kustomize patchesJson6902 file holds.
func isJSONPatch(data []byte) bool {
	var ops []map[string]any
	if json.Unmarshal(data, &ops) != nil || len(ops) == 0 {
		return false
	}
	for _, op := range ops {
		if _, ok := op["op"]; !ok {
			return false
		}
	}
	return true
}

// holdsObjects reports whether a YAML list has an element shaped like a
// Kubernetes object (with kind or apiVersion): a list of objects is an
// error a cluster would give; a list of anything else is not a manifest.
func holdsObjects(data []byte) bool {
	var items []map[string]any
	if json.Unmarshal(data, &items) != nil {
		return true
	}
	for _, it := range items {
		if it["kind"] != nil || it["apiVersion"] != nil {
			return true
		}
	}
	return false
}

// HintKustomize, HintHelm and HintTemplate tell what to do with files the loader skips.
const (
	HintKustomize = "render it first: kubectl kustomize DIR > rendered.yaml"
	HintHelm      = "render it first: helm template RELEASE CHART > rendered.yaml"
	HintTemplate  = "render it first (helm template, or the tool that fills its {{ }}), then analyze the result"
	// HintUnreferenced is for a file in a kustomization's folder (or
	// below) that no kustomization reads.
	HintUnreferenced = "kubectl apply -k, Flux and Argo CD apply only what a folder's kustomization reads; list it there, or analyze the file alone"
)

// parser holds one file's parse: the scenario so far and the errors of
// its documents.
type parser struct {
	s    *Scenario
	name string
	o    ManifestOptions
	errs Errors
	// lists counts documents that are YAML lists of non-objects.
	lists int
}

// fail records e as an error of the file.
func (p *parser) fail(e *Error) { e.File = p.name; p.errs = append(p.errs, e) }

// parse loads the file name: its documents, its header (optional for
// manifest folders, where the file's name names it) and its objects, and
// validates the whole.
func parse(name string, data []byte, headerOptional bool, o ManifestOptions) (*Scenario, error) {
	p := &parser{s: &Scenario{Path: name}, name: name, o: o}
	s := p.s
	docs, objects := p.documents(data)
	if headerOptional && objects == 0 && len(p.errs) == 0 && len(docs)+p.lists > 0 {
		// YAML that holds no Kubernetes object at all (CI config, Helm
		// values, docker-compose): not a manifest file.
		s.Skipped = append(s.Skipped, Skipped{File: name, Label: "YAML file without Kubernetes objects"})
		docs = nil
	}
	headers := 0
	for _, d := range docs {
		if d.meta.Kind == "Scenario" {
			headers++
			p.header(d, headers)
			continue
		}
		p.objects(d)
	}
	if headers == 0 && headerOptional {
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".yaml"), ".yml")
		s.Header = Header{Kind: "Scenario", Name: strings.ToLower(base)}
		s.Headerless = true
	}
	if headers == 0 && !headerOptional && len(p.errs) == 0 {
		p.fail(&Error{Err: errors.New("no Scenario header: add a document with kind: Scenario")})
	}
	if s.Mesh != nil {
		s.Header.MeshConfig = MergeMeshConfig(s.Mesh.Config, s.Header.MeshConfig)
	}
	ResolveWorkloadRefs(s.Manifests)
	if len(p.errs) > 0 {
		if s.Headerless && s.validate() == nil {
			// Plain manifests: kubectl apply -f applies the documents
			// a cluster takes and reports the others; so does the
			// loader (a scenario file is one experiment: refused whole).
			return s, errorOf(p.errs)
		}
		return nil, errorOf(p.errs)
	}
	if err := s.validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = name
			return nil, e
		}
		return nil, &Error{File: name, Err: err}
	}
	return s, nil
}

// documents splits data into its YAML documents and decodes each one's
// type; empty documents are dropped and Kustomize patches skipped. objects
// counts the documents with a kind or apiVersion.
func (p *parser) documents(data []byte) (docs []document, objects int) {
	for i, doc := range splitDocuments(data) {
		index := i + 1
		jsonDoc, err := yaml.YAMLToJSON(doc)
		if err != nil {
			p.fail(&Error{Index: index, Err: fmt.Errorf("not YAML: %w", err)})
			continue
		}
		jsonDoc = bytes.TrimSpace(jsonDoc)
		if bytes.Equal(jsonDoc, []byte("null")) {
			continue
		}
		d := document{index: index, yaml: doc, json: jsonDoc}
		if len(jsonDoc) > 0 && jsonDoc[0] == '[' {
			if isJSONPatch(jsonDoc) {
				p.s.Skipped = append(p.s.Skipped, Skipped{File: p.name, Index: index, Label: "Kustomize patch", Hint: HintKustomize})
				continue
			}
			if !holdsObjects(jsonDoc) {
				// A list of something else (an Ansible playbook, a CI
				// matrix): no Kubernetes object, nothing a cluster gets.
				p.lists++
				continue
			}
			p.fail(&Error{Index: index, Err: errors.New("not a Kubernetes object: a YAML list (a Kubernetes List is an object with kind: List and items)")})
			continue
		}
		if err := json.Unmarshal(jsonDoc, &d.meta); err != nil {
			p.fail(&Error{Index: index, Err: fmt.Errorf("not a Kubernetes object: %w", err)})
			continue
		}
		if d.meta.Kind != "" || d.meta.APIVersion != "" {
			objects++
		}
		docs = append(docs, d)
	}
	return docs, objects
}

// header decodes the Scenario header d, the nth of the file (a file holds
// exactly one), strictly, and validates it.
func (p *parser) header(d document, nth int) {
	s := p.s
	if nth > 1 {
		p.fail(&Error{Index: d.index, Kind: "Scenario", Err: errors.New("a second Scenario header: a file holds exactly one")})
		return
	}
	if err := decodeStrict(d.json, &s.Header); err != nil {
		p.fail(&Error{Index: d.index, Kind: "Scenario", Name: s.Header.Name, Field: fieldOf(err), Err: err})
		return
	}
	if err := s.Header.validate(); err != nil {
		p.fail(&Error{Index: d.index, Kind: "Scenario", Name: s.Header.Name, Field: fieldOf(err), Err: err})
	}
}

// objects adds the object d, or each item when d is a List.
func (p *parser) objects(d document) {
	items, ok := isList(d.meta.Kind, d.json)
	if !ok {
		if e := p.s.object(d.index, 0, d.meta, d.json, d.yaml, p.o); e != nil {
			p.fail(e)
		}
		return
	}
	for j, item := range items {
		var meta typeMeta
		if err := json.Unmarshal(item, &meta); err != nil {
			p.fail(&Error{Index: d.index, Item: j + 1, Kind: d.meta.Kind, Err: fmt.Errorf("not a Kubernetes object: %w", err)})
			continue
		}
		if e := p.s.object(d.index, j+1, meta, item, nil, p.o); e != nil {
			p.fail(e)
		}
	}
}

// MeshNamespace and MeshConfigMap name the ConfigMap istiod reads its
// mesh config from (key "mesh").
const (
	MeshNamespace = "istio-system"
	MeshConfigMap = "istio"
)

// MeshSource is the istio ConfigMap a file holds, read as mesh config.
type MeshSource struct {
	// Index is its document (Item its List item, 0 otherwise).
	Index, Item int
	// Config is data.mesh, in MeshConfig's YAML shape.
	Config map[string]any
}

// ParseMeshConfig reads mesh config YAML (the istio ConfigMap's data.mesh,
// or a --mesh-config file) strictly against Istio's MeshConfig
// (meshconfig.Parse): an unknown field is an error naming its path.
func ParseMeshConfig(data []byte) (map[string]any, error) {
	return meshconfig.Parse(data)
}

// MergeMeshConfig lays over's top-level fields over base (a scenario
// header's meshConfig over the ConfigMap's).
func MergeMeshConfig(base, over map[string]any) map[string]any {
	if len(base) == 0 {
		return over
	}
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// object decodes one object (a document, or item of a List document) and
// adds it to the scenario, to its skipped objects, or as its mesh config.
func (s *Scenario) object(index, item int, meta typeMeta, data, doc []byte, o ManifestOptions) *Error {
	m := Manifest{
		Index: index, Item: item, APIVersion: meta.APIVersion, Kind: meta.Kind,
		Namespace: meta.Metadata.Namespace, Name: meta.Metadata.Name, YAML: doc,
	}
	if doc == nil {
		m.YAML, _ = yaml.JSONToYAML(data)
	}
	if m.Namespace == "" && namespaced(m.Kind) {
		m.Namespace = o.Namespace
		if m.Namespace == "" {
			m.Namespace = "default"
		}
	}
	errAt := func(err error) *Error {
		return &Error{Index: index, Item: item, Kind: m.Kind, Name: m.Name, Field: fieldOf(err), Err: err}
	}
	if kind := InstallKindOf(m.APIVersion, m.Kind, m.Namespace, m.Name, data); kind != InstallNone {
		s.Install = append(s.Install, InstallObject{File: s.Path, Index: index, Item: item, APIVersion: m.APIVersion,
			Kind: m.Kind, Namespace: m.Namespace, Name: m.Name, JSON: append([]byte(nil), data...)})
		if kind == InstallRead {
			return nil
		}
	}
	if m.APIVersion == "v1" && m.Kind == "ConfigMap" && m.Name == MeshConfigMap && m.Namespace == MeshNamespace {
		var cm corev1.ConfigMap
		if err := decodeStrict(data, &cm); err != nil {
			return errAt(err)
		}
		if s.Mesh != nil {
			return errAt(fieldErr("metadata.name", "a second mesh config ConfigMap (also document %d)", s.Mesh.Index))
		}
		// The cluster takes a ConfigMap whatever its mesh says: the
		// scenario keeps the mesh config istiod uses, and the error
		// says what istiod left out.
		mesh, err := meshconfig.AsIstiod([]byte(cm.Data["mesh"]))
		s.Mesh = &MeshSource{Index: index, Item: item, Config: mesh}
		if err != nil {
			return errAt(&fieldError{field: "data.mesh", err: err})
		}
		return nil
	}
	obj, skip, err := decodeManifest(m.APIVersion, m.Kind, data)
	if err == nil && skip == "" {
		err = validateObject(obj)
	}
	if err != nil {
		return errAt(err)
	}
	if skip != "" {
		s.Skipped = append(s.Skipped, Skipped{File: s.Path, Index: index, Kind: m.Kind, Namespace: m.Namespace, Name: m.Name, Label: skip})
		return nil
	}
	m.Object = obj
	s.Manifests = append(s.Manifests, m)
	return nil
}

// splitDocuments splits a multi-document YAML stream on "---" lines,
// dropping documents that hold only comments or whitespace.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		docs = append(docs, append([]byte(nil), cur.Bytes()...))
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.SplitN(line[3:], "#", 2)[0]) == "" {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	out := docs[:0]
	for _, d := range docs {
		if hasContent(d) {
			out = append(out, d)
		}
	}
	return out
}

func hasContent(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// Expand turns files and directories into the scenario files they hold
// (*.yaml and *.yml, recursively, sorted; folders named testdata or
// starting with "." are not entered).
func Expand(paths []string) ([]string, error) {
	files, _, err := expand(paths, false)
	return files, err
}

// Inputs are the files of a folder of plain manifests as the loader reads
// them.
type Inputs struct {
	// Files are read in this order: plain files, and each kustomization
	// root's kustomization file, whose documents are its rendered output.
	Files []string
	// Rendered holds each kustomization root's rendered YAML by its
	// kustomization file.
	Rendered map[string][]byte
	// Skipped are the files left out, each with a hint: Helm charts,
	// templates, and kustomizations that cannot be built here.
	Skipped []Skipped
	// Errors are the kustomization roots that do not build, each naming
	// the kustomization and kustomize's reason.
	Errors []error
}

// ExpandManifests is Expand for plain manifests. Each kustomization root
// (a folder with a kustomization file no other kustomization of the input
// references) is rendered in-process as kubectl kustomize builds it, and
// the files a render reads are not read again raw. Helm charts (a folder
// with a Chart.yaml) and templates (a file holding "{{") are left out and
// returned as skipped with a hint.
func ExpandManifests(paths []string) (*Inputs, error) {
	out, skipped, err := expand(paths, true)
	if err != nil {
		return nil, err
	}
	in := &Inputs{Skipped: skipped, Rendered: map[string][]byte{}}
	var kustomizations []string
	for _, f := range out {
		if isKustomization(f) {
			kustomizations = append(kustomizations, f)
		}
	}
	kr := renderKustomizations(kustomizations)
	in.Skipped = append(in.Skipped, kr.skipped...)
	in.Errors = kr.errs
	consumed := map[string]bool{}
	for _, k := range kr.roots {
		in.Rendered[k.File] = k.YAML
		for _, c := range k.Consumed {
			consumed[c] = true
		}
	}
	// A root that does not build still names its patches: they are
	// fragments, never read as manifests.
	patches := map[string]bool{}
	for _, f := range kustomizations {
		if _, ok := in.Rendered[f]; !ok {
			for _, patch := range kustomizePatches(f) {
				patches[patch] = true
			}
		}
	}
	// The folders of the kustomizations that built (roots, and what they
	// read): the files there that no render read are not applied.
	kustomizationDirs := map[string]bool{}
	for _, f := range kustomizations {
		if abs, _ := filepath.Abs(f); in.Rendered[f] != nil || consumed[abs] {
			kustomizationDirs[filepath.Dir(abs)] = true
		}
	}
	for _, f := range out {
		abs, _ := filepath.Abs(f)
		switch {
		case in.Rendered[f] != nil:
			in.Files = append(in.Files, f)
		case isKustomization(f) || consumed[abs]:
		case governedBy(abs, kustomizationDirs) != "" && !patches[filepath.Clean(f)]:
			in.Skipped = append(in.Skipped, Skipped{File: f, Label: "file no kustomization reads", Hint: HintUnreferenced})
		case patches[filepath.Clean(f)]:
			in.Skipped = append(in.Skipped, Skipped{File: f, Label: "Kustomize patch", Hint: HintKustomize})
		case isHelmTemplate(f):
			in.Skipped = append(in.Skipped, Skipped{File: f, Label: "template ({{ }})", Hint: HintTemplate})
		default:
			in.Files = append(in.Files, f)
		}
	}
	return in, nil
}

func isKustomization(path string) bool {
	switch filepath.Base(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

func isYAML(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

func expand(paths []string, manifests bool) ([]string, []Skipped, error) {
	var out []string
	var skipped []Skipped
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path == p {
				return nil
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() && manifests {
				if _, err := os.Stat(filepath.Join(path, "Chart.yaml")); err == nil {
					skipped = append(skipped, Skipped{File: path, Label: "Helm chart", Hint: HintHelm})
					return filepath.SkipDir
				}
			}
			if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && (isYAML(path) || manifests && isKustomization(path)) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, skipped, nil
}

// kustomizePatches lists the patch files a kustomization names, as clean
// paths; one that does not parse names none (it is skipped anyway).
func kustomizePatches(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var k struct {
		PatchesStrategicMerge []string `json:"patchesStrategicMerge"`
		Patches               []struct {
			Path string `json:"path"`
		} `json:"patches"`
		PatchesJSON6902 []struct {
			Path string `json:"path"`
		} `json:"patchesJson6902"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return nil
	}
	dir := filepath.Dir(path)
	var out []string
	add := func(p string) {
		if p != "" && !strings.Contains(p, "\n") {
			out = append(out, filepath.Clean(filepath.Join(dir, p)))
		}
	}
	for _, p := range k.PatchesStrategicMerge {
		add(p)
	}
	for _, p := range k.Patches {
		add(p.Path)
	}
	for _, p := range k.PatchesJSON6902 {
		add(p.Path)
	}
	return out
}

// isHelmTemplate reports whether a file holds Go template actions.
func isHelmTemplate(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte("{{"))
}

// LoadAll loads every scenario under paths. Bad files do not stop the
// others: their errors, one per bad document, are returned beside the good
// scenarios.
func LoadAll(paths []string) ([]*Scenario, []error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, []error{err}
	}
	return loadFiles(files, os.ReadFile, Parse)
}

// LoadAllManifests is LoadAll for plain manifests (header optional).
func LoadAllManifests(paths []string) ([]*Scenario, []error) {
	scs, _, errs := LoadAllManifestsWith(paths, ManifestOptions{})
	return scs, errs
}

// LoadAllManifestsWith is LoadAllManifests with options. It also returns
// what it skipped: files (Kustomize, Helm, YAML without Kubernetes objects)
// and the objects of the loaded files that cannot change a sidecar's
// outbound listeners.
func LoadAllManifestsWith(paths []string, o ManifestOptions) ([]*Scenario, []Skipped, []error) {
	in, err := ExpandManifests(paths)
	if err != nil {
		return nil, nil, []error{err}
	}
	read := func(name string) ([]byte, error) {
		if y, ok := in.Rendered[name]; ok {
			return y, nil
		}
		return os.ReadFile(name)
	}
	good, bad := loadFiles(in.Files, read, func(name string, data []byte) (*Scenario, error) {
		return parse(name, data, true, o)
	})
	skipped := in.Skipped
	for _, sc := range good {
		skipped = append(skipped, sc.Skipped...)
	}
	return good, skipped, append(in.Errors, bad...)
}

func loadFiles(files []string, read func(string) ([]byte, error), parse func(string, []byte) (*Scenario, error)) ([]*Scenario, []error) {
	// Files are parsed in parallel (parsing is most of analyze's time on
	// a large repository); results keep the files' order.
	type result struct {
		sc   *Scenario
		errs []error
	}
	results := make([]result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := read(files[i])
				if err != nil {
					results[i].errs = []error{&Error{File: files[i], Err: err}}
					continue
				}
				s, err := parse(files[i], data)
				if err != nil {
					results[i].errs = Flatten(err)
				}
				// A plain file keeps the documents a cluster takes.
				results[i].sc = s
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var good []*Scenario
	var bad []error
	for _, r := range results {
		if r.sc != nil {
			good = append(good, r.sc)
		}
		bad = append(bad, r.errs...)
	}
	return good, bad
}

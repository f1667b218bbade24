package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Kustomization is one kustomization root of the input rendered as
// `kubectl kustomize --load-restrictor LoadRestrictionsNone DIR` builds
// it (buildOptions): a folder with a kustomization file that no other
// kustomization of the input references.
type Kustomization struct {
	// File is the root's kustomization file; manifests rendered from it
	// are located there (FILE#DOCUMENT counts the rendered documents).
	File string
	// YAML is the rendered stream.
	YAML []byte
	// Consumed lists every file the render read (the kustomization files
	// of its bases, resources, patches, generators' sources), cleaned.
	Consumed []string
}

// readRecorder is the disk as kustomize sees it, noting each file read.
type readRecorder struct {
	filesys.FileSystem
	mu   sync.Mutex
	read map[string]bool
}

func (r *readRecorder) ReadFile(path string) ([]byte, error) {
	r.mu.Lock()
	r.read[filepath.Clean(path)] = true
	r.mu.Unlock()
	return r.FileSystem.ReadFile(path)
}

// buildOptions are how GitOps controllers build: Flux's kustomize-controller
// reads files outside a root's folder (LoadRestrictionsNone, which kubectl
// kustomize takes with --load-restrictor), no plugins, no Helm. kubectl's
// own default refuses such files; a cluster fed by Flux gets them, so
// they are not refused here.
func buildOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.LoadRestrictions = types.LoadRestrictionsNone
	return o
}

// renderKustomization builds the kustomization in dir and returns the
// rendered YAML and the files it read (absolute, cleaned).
func renderKustomization(dir string) ([]byte, map[string]bool, error) {
	rec := &readRecorder{FileSystem: filesys.MakeFsOnDisk(), read: map[string]bool{}}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	res, err := krusty.MakeKustomizer(buildOptions()).Run(rec, abs)
	if err != nil {
		return nil, rec.read, err
	}
	out, err := res.AsYaml()
	return out, rec.read, err
}

// kustomizeResult is what rendering the kustomizations of an input gives:
// its roots rendered, the roots kustomize cannot build here (each skipped
// with why), and render errors of roots that are bad input.
type kustomizeResult struct {
	roots   []Kustomization
	skipped []Skipped
	errs    []error
}

// renderKustomizations renders every kustomization root among the
// kustomization files found in the input. A kustomization another one
// reads (a base, a component) is no root: it is rendered only as part of
// the roots that use it. A root that needs what kubectl kustomize does not
// do by default here (Helm charts, remote bases: no network) is skipped
// with a hint, not refused: a cluster would take its rendered output.
func renderKustomizations(kustomizationFiles []string) kustomizeResult {
	type render struct {
		file string
		yaml []byte
		read map[string]bool
		err  error
	}
	renders := make([]render, len(kustomizationFiles))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, f := range kustomizationFiles {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			y, read, err := renderKustomization(filepath.Dir(f))
			renders[i] = render{file: f, yaml: y, read: read, err: err}
		}()
	}
	wg.Wait()
	readByOther := map[string]bool{}
	for i, r := range renders {
		self, _ := filepath.Abs(kustomizationFiles[i])
		for p := range r.read {
			if p != self {
				readByOther[p] = true
			}
		}
	}
	var res kustomizeResult
	for _, r := range renders {
		abs, _ := filepath.Abs(r.file)
		if readByOther[abs] {
			continue
		}
		if isComponent(r.file) {
			// kubectl apply -k, Flux and Argo CD apply a component only
			// through a kustomization that lists it; alone it is no
			// input to a cluster (its patches may name objects it lacks).
			res.skipped = append(res.skipped, Skipped{File: r.file, Label: "Kustomize component no kustomization uses",
				Hint: "a component reaches a cluster only through a kustomization's components list; list it there, or analyze that kustomization"})
			continue
		}
		if r.err != nil {
			if hint, ok := notBuildableHere(r.err); ok {
				res.skipped = append(res.skipped, Skipped{File: r.file, Label: "Kustomize root kustomize cannot build here", Hint: hint})
				continue
			}
			res.errs = append(res.errs, &Error{File: r.file, Err: fmt.Errorf("kustomize build %s: %w", filepath.Dir(r.file), r.err)})
			continue
		}
		k := Kustomization{File: r.file, YAML: r.yaml}
		for p := range r.read {
			k.Consumed = append(k.Consumed, p)
		}
		sort.Strings(k.Consumed)
		res.roots = append(res.roots, k)
	}
	return res
}

// isComponent says whether a kustomization file is a Component
// (kustomize.config.k8s.io/v1alpha1), not a Kustomization.
func isComponent(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var k struct {
		Kind string `json:"kind"`
	}
	return yaml.Unmarshal(data, &k) == nil && k.Kind == "Component"
}

// notBuildableHere recognizes render errors of kustomizations that are
// fine but need what this build does not do, and empty ones: Helm charts
// (kubectl kustomize --enable-helm runs the helm binary), remote bases and
// resources (no network here), exec or Go plugins (off in kubectl too),
// and a kustomization without content, which holds no object to check.
func notBuildableHere(err error) (string, bool) {
	msg := err.Error()
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("enable-helm", "helmCharts"):
		return "its helmCharts need Helm: render it first (kubectl kustomize --enable-helm DIR > rendered.yaml)", true
	case has("https://", "http://", "git clone", "git@", "no such host", "github.com/"):
		return "it reads remote bases and there is no network here: render it first (kubectl kustomize DIR > rendered.yaml)", true
	case has("plugins disabled", "external plugins"):
		return "it needs kustomize plugins: render it first (kustomize build --enable-alpha-plugins DIR > rendered.yaml)", true
	case has("kustomization.yaml is empty", "kustomization.yml is empty", "Kustomization is empty"):
		return "it is empty: nothing to apply", true
	}
	return "", false
}

// governedBy returns the folder of the nearest kustomization at or above
// file's folder, within the input, or "" when none is: kubectl apply -k,
// Flux and Argo CD apply only what a folder's kustomization reads, not the
// other files beside or below it.
func governedBy(file string, kustomizationDirs map[string]bool) string {
	for d := filepath.Dir(file); ; {
		if kustomizationDirs[d] {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}

package capture

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/scenario"
)

// object is one manifest to write.
type object struct {
	kind, namespace, name string
	created               time.Time
	// tiebreak is the name Istio orders services of the same age by
	// (SortServicesByCreationTime): a Service's name, a ServiceEntry's
	// first host; a Sidecar's name (getSidecarScope).
	tiebreak string
	doc      map[string]any
}

func (o object) ref() string { return o.kind + "/" + o.namespace + "/" + o.name }

// sortObjects orders the file: by kind, namespace, name.
func sortObjects(objs []object) {
	sort.Slice(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		return a.name < b.name
	})
}

// agedKinds are the kinds whose creation time Istio reads for listeners:
// the oldest service wins a shared listener, the oldest Sidecar applies,
// VirtualServices are merged oldest first (initVirtualServices).
var agedKinds = []string{"Service", "ServiceEntry", "Sidecar", "VirtualService"}

// creationOrder lists the objects younger than the oldest ones, oldest
// first: the resolver creates unlisted objects together and each listed
// one a second after the previous. Objects of the oldest age stay unlisted
// and keep their tie; younger ones of equal age are listed in Istio's tie
// order (name, then namespace), which reproduces it except between a
// ServiceEntry with several hosts and others of its age (approximated by
// its first host). Nothing is listed when every object has the same age.
func creationOrder(objs []object) []string {
	var aged []object
	for _, o := range objs {
		if slices.Contains(agedKinds, o.kind) {
			aged = append(aged, o)
		}
	}
	sort.SliceStable(aged, func(i, j int) bool {
		a, b := aged[i], aged[j]
		if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		if a.tiebreak != b.tiebreak {
			return a.tiebreak < b.tiebreak
		}
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		return a.kind < b.kind
	})
	var out []string
	for _, o := range aged {
		if !o.created.Equal(aged[0].created) {
			out = append(out, o.ref())
		}
	}
	return out
}

// render writes the scenario: the header, then each manifest. Keys are
// sorted, except that apiVersion, kind and metadata (and the header's
// kind, name and description) come first, as people write them.
func render(h scenario.Header, objs []object) ([]byte, error) {
	var buf bytes.Buffer
	hb, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var hm map[string]any
	if err := json.Unmarshal(hb, &hm); err != nil {
		return nil, err
	}
	if err := writeOrdered(&buf, hm, "kind", "name", "description", "client", "istiod", "meshConfig", "creationOrder"); err != nil {
		return nil, err
	}
	for _, o := range objs {
		buf.WriteString("---\n")
		if err := writeOrdered(&buf, o.doc, "apiVersion", "kind", "metadata"); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func writeOrdered(buf *bytes.Buffer, m map[string]any, first ...string) error {
	keys := append([]string(nil), first...)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(first, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			continue
		}
		b, err := yaml.Marshal(map[string]any{k: v})
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	return nil
}

// WriteFile writes data to path atomically: a temporary file beside it,
// renamed over it once complete, so a failed capture never leaves a
// partial or empty file.
func WriteFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

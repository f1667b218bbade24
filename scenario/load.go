package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
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
}

// Manifest is one Kubernetes or Istio object from a scenario file.
type Manifest struct {
	// Index is the document's 1-based position in the file.
	Index      int
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
	Kind  string
	Name  string
	// Field is the path of the offending field, e.g. spec.ports[0].port.
	Field string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Index > 0 {
		fmt.Fprintf(&b, ": document %d", e.Index)
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
	return parse(name, data, false)
}

// ParseManifests reads plain manifests: a Scenario header is optional, and
// without one the scenario is named after the file and its client is the
// standard client in namespace "default".
func ParseManifests(name string, data []byte) (*Scenario, error) {
	return parse(name, data, true)
}

func parse(name string, data []byte, headerOptional bool) (*Scenario, error) {
	s := &Scenario{Path: name}
	headers := 0
	for i, doc := range splitDocuments(data) {
		index := i + 1
		jsonDoc, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, &Error{File: name, Index: index, Err: fmt.Errorf("not YAML: %w", err)}
		}
		if bytes.Equal(bytes.TrimSpace(jsonDoc), []byte("null")) {
			continue
		}
		var typeMeta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(jsonDoc, &typeMeta); err != nil {
			return nil, &Error{File: name, Index: index, Err: fmt.Errorf("not a Kubernetes object: %w", err)}
		}
		if typeMeta.Kind == "Scenario" {
			headers++
			if headers > 1 {
				return nil, &Error{File: name, Index: index, Kind: "Scenario", Err: errors.New("a second Scenario header: a file holds exactly one")}
			}
			if err := decodeStrict(jsonDoc, &s.Header); err != nil {
				return nil, &Error{File: name, Index: index, Kind: "Scenario", Name: s.Header.Name, Field: fieldOf(err), Err: err}
			}
			if err := s.Header.validate(); err != nil {
				return nil, &Error{File: name, Index: index, Kind: "Scenario", Name: s.Header.Name, Field: fieldOf(err), Err: err}
			}
			continue
		}
		m := Manifest{
			Index: index, APIVersion: typeMeta.APIVersion, Kind: typeMeta.Kind,
			Namespace: typeMeta.Metadata.Namespace, Name: typeMeta.Metadata.Name, YAML: doc,
		}
		obj, err := decodeManifest(typeMeta.APIVersion, typeMeta.Kind, jsonDoc)
		if err == nil {
			err = validateObject(obj)
		}
		if err != nil {
			return nil, &Error{File: name, Index: index, Kind: m.Kind, Name: m.Name, Field: fieldOf(err), Err: err}
		}
		if m.Namespace == "" && namespaced(m.Kind) {
			m.Namespace = "default"
		}
		m.Object = obj
		s.Manifests = append(s.Manifests, m)
	}
	if headers == 0 && headerOptional {
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".yaml"), ".yml")
		s.Header = Header{Kind: "Scenario", Name: strings.ToLower(base)}
		s.Headerless = true
	}
	if headers == 0 && !headerOptional {
		return nil, &Error{File: name, Err: errors.New("no Scenario header: add a document with kind: Scenario")}
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
// (*.yaml and *.yml, recursively, sorted).
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
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
			if d.IsDir() && d.Name() == "testdata" && path != p {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// LoadAll loads every scenario under paths. Bad files do not stop the
// others: their errors are returned beside the good scenarios.
func LoadAll(paths []string) ([]*Scenario, []error) { return loadAll(paths, Parse) }

// LoadAllManifests is LoadAll for plain manifests (header optional).
func LoadAllManifests(paths []string) ([]*Scenario, []error) { return loadAll(paths, ParseManifests) }

func loadAll(paths []string, parse func(string, []byte) (*Scenario, error)) ([]*Scenario, []error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, []error{err}
	}
	var good []*Scenario
	var bad []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			bad = append(bad, &Error{File: f, Err: err})
			continue
		}
		s, err := parse(f, data)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		good = append(good, s)
	}
	return good, bad
}

package analyze

import (
	"bufio"
	"bytes"
)

// Object is a manifest a finding involves, with where it is written.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// File, Document (1-based, the scenario loader's index) and Line (where
	// the document starts) locate the manifest; empty for a built-in object.
	File     string `json:"file,omitempty"`
	Document int    `json:"document,omitempty"`
	Line     int    `json:"line,omitempty"`
	// BuiltIn marks the objects every cluster has (kubernetes, kube-dns,
	// istiod), which no manifest in the folder defines.
	BuiltIn bool `json:"builtIn,omitempty"`
}

// ref is the predictor's Source form: "Kind namespace/name".
func (o Object) ref() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// Location is FILE#DOCUMENT, or the object's reference for a built-in one.
func (o Object) Location() string {
	if o.File == "" {
		return o.ref() + " (built-in)"
	}
	return o.File + "#" + itoa(o.Document)
}

// documentLines returns the line where each document of a multi-document
// YAML file starts, indexed as the scenario loader indexes documents: split
// on "---" lines, documents holding only comments or blanks not counted.
// Entry i is document i+1's first line (the line after its separator).
func documentLines(data []byte) []int {
	var starts []int
	start, line := 1, 0
	content := false
	flush := func() {
		if content {
			starts = append(starts, start)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line++
		text := sc.Bytes() // not Text: no string per line
		if bytes.HasPrefix(text, []byte("---")) && len(bytes.TrimSpace(bytes.SplitN(text[3:], []byte("#"), 2)[0])) == 0 {
			flush()
			start, content = line+1, false
			continue
		}
		if t := bytes.TrimSpace(text); len(t) > 0 && t[0] != '#' {
			content = true
		}
	}
	flush()
	return starts
}

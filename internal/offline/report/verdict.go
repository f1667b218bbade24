package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// Verdict writes one scenario's result: PASS, or FAIL with a sorted
// -want +got diff (want: predicted or expected, got: real Istio) and the
// predictor's reasons for the listeners that differ.
func Verdict(w io.Writer, r compare.Result) {
	switch r.Outcome {
	case compare.Pass:
		fmt.Fprintf(w, "PASS  %-55s Istio %s\n", r.Scenario, r.Version)
		return
	case compare.Error:
		fmt.Fprintf(w, "ERROR %-55s Istio %s\n  %s\n", r.Scenario, r.Version, r.Err)
		return
	case compare.Skip:
		fmt.Fprintf(w, "SKIP  %-55s Istio %s: %s\n", r.Scenario, r.Version, r.Err)
		return
	}
	fmt.Fprintf(w, "FAIL  %-55s Istio %s (%s)\n", r.Scenario, r.Version, r.File)
	if len(r.Differences) > 0 {
		fmt.Fprintf(w, "  prediction vs real pilot (-predicted +real):\n")
		for _, d := range r.Differences {
			fmt.Fprintf(w, "  %s\n", indent(d.String()))
		}
	}
	if len(r.Expectations) > 0 {
		fmt.Fprintf(w, "  scenario expectations vs real pilot (-expected +real):\n")
		for _, d := range r.Expectations {
			fmt.Fprintf(w, "  %s\n", indent(d.String()))
		}
	}
	names := make([]string, 0, len(r.Reasons))
	for n := range r.Reasons {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  predicted %s because: %s\n", n, r.Reasons[n])
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

// Matrix writes a scenario x version Markdown table.
func Matrix(w io.Writer, results []compare.Result) {
	var versionsSeen []string
	cells := map[string]map[string]compare.Result{}
	var scenarios []string
	for _, r := range results {
		if cells[r.Scenario] == nil {
			cells[r.Scenario] = map[string]compare.Result{}
			scenarios = append(scenarios, r.Scenario)
		}
		if !slices.Contains(versionsSeen, r.Version) {
			versionsSeen = append(versionsSeen, r.Version)
		}
		cells[r.Scenario][r.Version] = r
	}
	sort.Strings(scenarios)
	fmt.Fprintf(w, "| scenario | %s |\n|---|%s\n", strings.Join(versionsSeen, " | "), strings.Repeat("---|", len(versionsSeen)))
	for _, s := range scenarios {
		row := []string{s}
		for _, v := range versionsSeen {
			r, ok := cells[s][v]
			switch {
			case !ok:
				row = append(row, "")
			case r.Outcome == compare.Pass:
				row = append(row, "pass")
			case r.Outcome == compare.Error:
				row = append(row, "error")
			case r.Outcome == compare.Skip:
				row = append(row, "n/a")
			default:
				row = append(row, "FAIL: "+firstDifference(r))
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

func firstDifference(r compare.Result) string {
	ds := append(append([]compare.Difference(nil), r.Differences...), r.Expectations...)
	if len(ds) == 0 {
		return ""
	}
	return strings.ReplaceAll(strings.SplitN(ds[0].String(), "\n", 2)[0], "|", "\\|")
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// versionProperties are the suite properties of an Istio version: its
// module version, minor, image and provenance note; for a version built
// from a source tree, the tree's path, revision, commit, tag, whether it
// was dirty and its content key.
func versionProperties(v versions.Version) []junitProperty {
	props := []junitProperty{{"istio.version", v.Label}, {"istio.module", "istio.io/istio@" + v.Module}, {"istio.minor", fmt.Sprintf("1.%d", v.Minor)}}
	if v.Image != "" {
		props = append(props, junitProperty{"istio.image", v.Image})
	}
	if v.Note != "" {
		props = append(props, junitProperty{"istio.provenance", v.Note})
	}
	if t := v.Tree; t != nil {
		props = append(props, junitProperty{"istio.tree.path", t.Path}, junitProperty{"istio.tree.rev", t.Rev},
			junitProperty{"istio.tree.commit", t.Commit}, junitProperty{"istio.tree.tag", t.Tag},
			junitProperty{"istio.tree.dirty", fmt.Sprintf("%t", t.Dirty)}, junitProperty{"istio.tree.key", t.Key})
	}
	return props
}

// MatrixNotes writes, under a matrix, the provenance of every version that
// has a note (module version, date, replacements).
func MatrixNotes(w io.Writer, vs []versions.Version) {
	first := true
	for _, v := range vs {
		if v.Note == "" {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "- Istio %s: istio.io/istio %s; %s\n", v.Label, v.Module, v.Note)
	}
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes results as JUnit XML, one suite per Istio version; the
// suite of a version in vs gets its provenance as properties.
func JUnit(w io.Writer, results []compare.Result, vs ...versions.Version) error {
	var out junitSuites
	index := map[string]int{}
	for _, r := range results {
		i, ok := index[r.Version]
		if !ok {
			i = len(out.Suites)
			index[r.Version] = i
			out.Suites = append(out.Suites, junitSuite{Name: "listenerlab/istio-" + r.Version})
			for _, v := range vs {
				if v.Label == r.Version {
					out.Suites[i].Properties = versionProperties(v)
				}
			}
		}
		s := &out.Suites[i]
		c := junitCase{Name: r.Scenario, Classname: r.File, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		var body strings.Builder
		Verdict(&body, r)
		switch r.Outcome {
		case compare.Skip:
			c.Skipped = &junitMessage{Message: r.Err}
		case compare.Fail:
			c.Failure = &junitMessage{Message: "prediction differs from real pilot", Body: body.String()}
			s.Failures++
		case compare.Error:
			c.Error = &junitMessage{Message: r.Err, Body: body.String()}
			s.Errors++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

package analyze

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/scenario"
)

// textWidth is the width text output wraps at.
const textWidth = 100

// WriteText writes each finding as one line (severity, code, what happens
// to which connections), then, indented: why, the manifests that cause it,
// the fix, the clients, and the witness with the trace command that
// replays it; then a summary line. Lines wrap at 100 columns, but a
// command, which wraps with shell line continuations.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	counts := map[predictor.Severity]int{}
	for i, f := range r.Findings {
		counts[f.Severity]++
		if i > 0 {
			b.WriteString("\n")
		}
		wrap(&b, "", "    ", strings.ToUpper(string(f.Severity))+" "+string(f.Code)+": "+f.Message)
		if f.Why != "" {
			wrap(&b, "    why: ", "      ", f.Why)
		}
		locs := make([]string, len(f.Objects))
		for i, o := range f.Objects {
			locs[i] = o.Location() + " (" + o.ref() + ")"
			if o.BuiltIn {
				locs[i] = o.Location()
			}
		}
		wrap(&b, "    manifests: ", "      ", strings.Join(locs, ", "))
		wrap(&b, "    fix: ", "      ", f.Fix)
		if ist := istCode.FindAllString(ruleFor(f.Code).Istioctl, -1); len(ist) > 0 {
			wrap(&b, "    istioctl analyze: ", "      ", "see also "+strings.Join(ist, ", "))
		}
		wrap(&b, "    clients: ", "      ", clientsText(f.Clients, r))
		if wt := f.Witness; wt != nil {
			text := witnessText(wt)
			if f.Code == predictor.ServerFirstSniffed && wt.Sniffed {
				text = strings.TrimSuffix(text, ":") + ", whose http_inspector waits for the client's first bytes:"
			}
			wrap(&b, "    witness: ", "      ", text)
			command(&b, "      ", wt.Command)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d findings (%d error, %d warning, %d info) for %d sidecars, Istio %s rules\n",
		len(r.Findings), counts["error"], counts["warning"], counts["info"], r.Sidecars, r.Version)
	_, err := io.WriteString(w, b.String())
	return err
}

// istCode finds istioctl analyze's message codes in a rule's Istioctl.
var istCode = regexp.MustCompile(`IST[0-9]{4}`)

// witnessText says the witness in words: the connection, what it was
// meant for, where it goes.
func witnessText(w *Witness) string {
	conn := "a connection to " + w.To
	switch {
	case w.SNI != "":
		conn = "TLS to " + w.To + " (SNI " + w.SNI + ")"
	case w.TLS:
		conn = "TLS to " + w.To
	case w.IsRequest():
		conn = "a request " + strings.TrimSpace(w.Method+" "+w.Path) + " to " + w.To + " (Host " + w.Host + headersText(w.Headers) + ")"
	case w.Host != "":
		conn = "HTTP to " + w.To + " (Host " + w.Host + ")"
	}
	on := w.Listener
	if w.Route != "" {
		on += ", route " + w.Route
	}
	s := conn + " from " + w.Client + ", meant for " + w.Meant + ", goes to " + w.Destination + " on " + on
	return s + ":"
}

// headersText lists a request's headers, sorted: ", end-user: jason".
func headersText(hs map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(hs)) {
		b.WriteString(", " + k + ": " + hs[k])
	}
	return b.String()
}

// clientsText names a finding's clients: all of them with a count of
// sidecars and namespaces, else the first three and how many more.
func clientsText(cs []string, r *Report) string {
	if len(cs) == len(r.Clients) && len(cs) > 1 {
		ns := map[string]bool{}
		for _, c := range cs {
			ns[clientNamespace(c)] = true
		}
		return fmt.Sprintf("all %d sidecars in %d namespaces", len(cs), len(ns))
	}
	if len(cs) <= 4 {
		return strings.Join(cs, ", ")
	}
	return fmt.Sprintf("%s and %d more (%d of %d sidecars)", strings.Join(cs[:3], ", "), len(cs)-3, len(cs), len(r.Clients))
}

// clientNamespace is the namespace in a client's name: "Deployment
// NS/NAME" or "NS/KEY=VALUE".
func clientNamespace(c string) string {
	if _, rest, ok := strings.Cut(c, " "); ok && !strings.HasPrefix(rest, "(") {
		c = rest
	}
	ns, _, _ := strings.Cut(c, "/")
	return ns
}

// wrap writes text after first, breaking lines at spaces before
// textWidth and indenting continuation lines by rest.
func wrap(b *strings.Builder, first, rest, text string) {
	line := first
	width := len(first)
	for i, word := range strings.Fields(text) {
		if i > 0 && width+1+len(word) > textWidth {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line, width = rest+word, len(rest)+len(word)
			continue
		}
		if i > 0 {
			line += " "
			width++
		}
		line += word
		width += len(word)
	}
	b.WriteString(line + "\n")
}

// command writes a shell command indented, continued with " \" where it
// would pass textWidth: pasted whole, the shell reads it as one line.
func command(b *strings.Builder, indent, cmd string) {
	line := indent
	for i, word := range strings.Fields(cmd) {
		if i > 0 && len(line)+1+len(word)+2 > textWidth {
			b.WriteString(line + " \\\n")
			line = indent + "  " + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}

// WriteJSON writes the report as indented JSON: same input, same bytes.
func WriteJSON(w io.Writer, r *Report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// SARIF 2.1.0, the subset code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string               `json:"id"`
	Name             string               `json:"name"`
	ShortDescription sarifText            `json:"shortDescription"`
	FullDescription  *sarifText           `json:"fullDescription,omitempty"`
	Help             sarifText            `json:"help"`
	Properties       *sarifRuleProperties `json:"properties,omitempty"`
}

// sarifRuleProperties says which istioctl analyze messages look at the
// same configuration, so a user can correlate the two tools.
type sarifRuleProperties struct {
	Istioctl string `json:"istioctlAnalyze"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties sarifProperties `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifProperties struct {
	Fix      string   `json:"fix"`
	Clients  []string `json:"clients"`
	Service  string   `json:"service,omitempty"`
	Port     int      `json:"port,omitempty"`
	Listener string   `json:"listener,omitempty"`
	// Witness is the finding's witness connection, as in JSON.
	Witness *Witness `json:"witness,omitempty"`
}

var sarifLevel = map[predictor.Severity]string{predictor.SeverityError: "error", predictor.SeverityWarning: "warning", predictor.SeverityInfo: "note"}

// WriteSARIF writes the report as SARIF 2.1.0: one rule per known code
// with its help text, one result per finding located at the line where
// each involved manifest's document starts.
func WriteSARIF(w io.Writer, r *Report) error {
	known := Rules()
	index := map[predictor.Code]int{}
	for i, rule := range known {
		index[rule.Code] = i
	}
	for _, f := range r.Findings {
		if _, ok := index[f.Code]; !ok {
			index[f.Code] = len(known)
			known = append(known, ruleFor(f.Code))
		}
	}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "listenerlab", InformationURI: "https://github.com/listenerlab/listenerlab"}},
		Invocations: invocations(r), Results: []sarifResult{}}
	for _, rule := range known {
		sr := sarifRule{ID: string(rule.Code), Name: string(rule.Code), ShortDescription: sarifText{rule.Summary}, Help: sarifText{rule.Fix}}
		if rule.Istioctl != "" {
			sr.FullDescription = &sarifText{rule.Summary + " Overlaps istioctl analyze: " + rule.Istioctl}
			sr.Properties = &sarifRuleProperties{Istioctl: rule.Istioctl}
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sr)
	}
	for _, f := range r.Findings {
		res := sarifResult{RuleID: string(f.Code), RuleIndex: index[f.Code], Level: sarifLevel[f.Severity], Message: sarifText{f.Message},
			Properties: sarifProperties{Fix: f.Fix, Clients: f.Clients, Service: f.Service, Port: f.Port, Listener: f.Listener, Witness: f.Witness}}
		for _, o := range f.Objects {
			if o.File == "" {
				continue
			}
			res.Locations = append(res.Locations, sarifLocation{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(o.File)}, Region: sarifRegion{StartLine: o.Line}},
				Message:          &sarifText{o.ref()},
			})
		}
		run.Results = append(run.Results, res)
	}
	data, err := json.MarshalIndent(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// Problem is one input error, located like a finding's objects.
type Problem struct {
	File string `json:"file,omitempty"`
	// Document is the 1-based document, Item its List item (0: none),
	// Line where the document starts.
	Document int    `json:"document,omitempty"`
	Item     int    `json:"item,omitempty"`
	Line     int    `json:"line,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Name     string `json:"name,omitempty"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// FailedReport is the report of a run whose input did not load: its
// problems, located, and nothing analyzed.
func FailedReport(version string, ie *InputError) *Report {
	return &Report{Version: version, Clients: []string{}, Findings: []Finding{}, Errors: problems(ie)}
}

// problems locates each input error at its file, document, List item and
// field, and at the line its document starts.
func problems(ie *InputError) []Problem {
	var out []Problem
	lines := map[string][]int{}
	for _, err := range ie.Errs {
		p := Problem{Message: err.Error()}
		var se *scenario.Error
		if errors.As(err, &se) {
			p = Problem{File: se.File, Document: se.Index, Item: se.Item, Kind: se.Kind, Name: se.Name, Field: se.Field, Message: se.Err.Error()}
			if _, ok := lines[se.File]; !ok && se.File != "" {
				if data, err := os.ReadFile(se.File); err == nil {
					lines[se.File] = documentLines(data)
				}
			}
			if l := lines[se.File]; se.Index > 0 && se.Index-1 < len(l) {
				p.Line = l[se.Index-1]
			}
		}
		out = append(out, p)
	}
	return out
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

// invocations holds the input errors (level error, located at their
// document) and what the loader skipped (one note with the summary, one per
// skipped file with its hint); none when there is nothing to say.
func invocations(r *Report) []sarifInvocation {
	var ns []sarifNotification
	for _, p := range r.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{problemText(p)}}
		if p.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(p.File)}, Region: sarifRegion{StartLine: max(p.Line, 1)}}}}
		}
		ns = append(ns, n)
	}
	for _, n := range r.NotModelled {
		ns = append(ns, sarifNotification{Level: "warning", Message: sarifText{"not modelled: " + n.String()}})
	}
	for _, p := range r.ControlPlanes {
		ns = append(ns, sarifNotification{Level: "note", Message: sarifText{p.Text()}})
	}
	for _, n := range r.InstallNotes {
		level := "note"
		if strings.HasPrefix(n, "not modelled") {
			level = "warning"
		}
		ns = append(ns, sarifNotification{Level: level, Message: sarifText{"install: " + n}})
	}
	if r.SkippedSummary != "" {
		ns = append(ns, sarifNotification{Level: "note", Message: sarifText{"skipped (cannot change a sidecar's outbound listeners, or not modelled yet): " + r.SkippedSummary}})
	}
	for _, s := range r.SkippedObjects {
		if s.Hint == "" {
			continue
		}
		ns = append(ns, sarifNotification{Level: "note", Message: sarifText{s.Label + " skipped: " + s.Hint},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(s.File)}, Region: sarifRegion{StartLine: 1}}}}})
	}
	if len(ns) == 0 {
		return nil
	}
	return []sarifInvocation{{ExecutionSuccessful: len(r.Errors) == 0, ToolExecutionNotifications: ns}}
}

// problemText is a problem as one line: kind, name, field and message
// (the location is the notification's).
func problemText(p Problem) string {
	var b strings.Builder
	if p.Document > 0 {
		fmt.Fprintf(&b, "document %d", p.Document)
		if p.Item > 0 {
			fmt.Fprintf(&b, " item %d", p.Item)
		}
		if p.Kind != "" || p.Name != "" {
			fmt.Fprintf(&b, " (%s %s)", p.Kind, p.Name)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

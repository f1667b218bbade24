package report

import (
	"html/template"
	"io"
	"slices"
	"sort"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
)

var page = template.Must(template.New("matrix").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>listenerlab: scenario x Istio version</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;font-size:.9em}
td.pass{background:#e6f4ea}td.known{background:#fff4d6}td.fail{background:#fde7e9}td.error{background:#eee}
pre{margin:0;white-space:pre-wrap;max-width:40em}
</style></head><body>
<h1>Predicted vs real Istio listeners</h1>
<p>{{.Passed}} passed, {{.Failed}} failed, {{.Errors}} errors. A <span style="background:#fff4d6">known version difference</span> passes with an expectation pinned to a version range.</p>
<table><tr><th>scenario</th>{{range .Versions}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Scenario}}</td>{{range .Cells}}<td class="{{.Class}}">{{.Text}}{{if .Detail}}<pre>{{.Detail}}</pre>{{end}}</td>{{end}}</tr>
{{end}}</table></body></html>
`))

type htmlCell struct{ Class, Text, Detail string }

type htmlRow struct {
	Scenario string
	Cells    []htmlCell
}

// HTML writes the scenario x version matrix as one self-contained page:
// pass, known version difference, or fail with its first difference.
// versioned tells, for a scenario and version, whether an expectation
// pinned to a version range applies.
func HTML(w io.Writer, results []compare.Result, versioned func(scenario, version string) bool) error {
	data := struct {
		Versions               []string
		Rows                   []htmlRow
		Passed, Failed, Errors int
	}{}
	cells := map[string]map[string]compare.Result{}
	for _, r := range results {
		if cells[r.Scenario] == nil {
			cells[r.Scenario] = map[string]compare.Result{}
		}
		cells[r.Scenario][r.Version] = r
		if !slices.Contains(data.Versions, r.Version) {
			data.Versions = append(data.Versions, r.Version)
		}
		switch r.Outcome {
		case compare.Pass:
			data.Passed++
		case compare.Fail:
			data.Failed++
		case compare.Skip:
		default:
			data.Errors++
		}
	}
	var names []string
	for s := range cells {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		row := htmlRow{Scenario: s}
		for _, v := range data.Versions {
			r, ok := cells[s][v]
			var c htmlCell
			switch {
			case !ok:
			case r.Outcome == compare.Pass && versioned != nil && versioned(s, v):
				c = htmlCell{Class: "known", Text: "pass (version-specific)"}
			case r.Outcome == compare.Pass:
				c = htmlCell{Class: "pass", Text: "pass"}
			case r.Outcome == compare.Error:
				c = htmlCell{Class: "error", Text: "error", Detail: r.Err}
			case r.Outcome == compare.Skip:
				c = htmlCell{Class: "error", Text: "n/a", Detail: r.Err}
			default:
				c = htmlCell{Class: "fail", Text: "fail", Detail: firstDifference(r)}
			}
			row.Cells = append(row.Cells, c)
		}
		data.Rows = append(data.Rows, row)
	}
	return page.Execute(w, data)
}

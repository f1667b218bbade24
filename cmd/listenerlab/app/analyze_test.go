package app

import (
	"encoding/json"
	"strings"
	"testing"
)

const analyzeData = "../../../internal/offline/analyze/testdata/"

func TestAnalyzeExitCodes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"analyze", analyzeData + "Shadowed/bad.yaml"}, exitMismatch},                            // an error finding
		{[]string{"analyze", "--fail-on", "none", analyzeData + "Shadowed/bad.yaml"}, exitOK},             // never fails
		{[]string{"analyze", analyzeData + "Hijack/bad.yaml"}, exitMismatch},                              // connections on 9000 go to one host
		{[]string{"analyze", analyzeData + "CIDROverlap/bad.yaml"}, exitOK},                               // warnings only
		{[]string{"analyze", analyzeData + "CIDROverlap/bad.yaml", "--fail-on", "warning"}, exitMismatch}, // flags after the path
		{[]string{"analyze", "--fail-on", "info", analyzeData + "Hijack/fixed.yaml"}, exitOK},             // no finding at all
		{[]string{"analyze", "--client", "default/app=client", analyzeData + "Shadowed/bad.yaml"}, exitMismatch},
	} {
		if code, _, errOut := run(tt.args...); code != tt.code {
			t.Errorf("%v: exit %d, want %d: %s", tt.args, code, tt.code, errOut)
		}
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"analyze"},
		{"analyze", "-o", "xml", analyzeData + "Hijack/bad.yaml"},
		{"analyze", "--fail-on", "fatal", analyzeData + "Hijack/bad.yaml"},
		{"analyze", "--client", "app=web", analyzeData + "Hijack/bad.yaml"},
		{"analyze", "--max-endpoint-listeners", "-1", analyzeData + "Hijack/bad.yaml"},
		{"analyze", "--istio", "9.99", analyzeData + "Hijack/bad.yaml"},
		{"analyze", "../../../scenario/testdata/invalid-cidr.yaml"},
		{"analyze", analyzeData + "Hijack/bad.yaml", "../../../scenario/testdata/invalid-cidr.yaml"}, // one bad file spoils the folder
	} {
		code, out, errOut := run(args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, nothing on stdout, an error", args, code, out, errOut, exitBadInput)
		}
	}
}

func TestAnalyzeOutputs(t *testing.T) {
	_, text, _ := run("analyze", analyzeData+"gitops")
	if !strings.Contains(text, "ERROR   Shadowed: connections to users-db.example.com:3306 ") || !strings.Contains(text, "external.yaml#2, ") || !strings.Contains(text, "for 3 sidecars") {
		t.Errorf("text output:\n%s", text)
	}
	_, first, _ := run("analyze", "-o", "json", analyzeData+"gitops")
	_, second, _ := run("analyze", analyzeData+"gitops", "-o", "json")
	if first != second {
		t.Error("two runs on the same input print different bytes")
	}
	var r struct{ Findings []struct{ Code string } }
	if err := json.Unmarshal([]byte(first), &r); err != nil || len(r.Findings) == 0 {
		t.Errorf("json output: %v, %d findings", err, len(r.Findings))
	}
	_, sarif, _ := run("analyze", "-o", "sarif", analyzeData+"gitops")
	if !strings.Contains(sarif, `"version": "2.1.0"`) || !strings.Contains(sarif, `"ruleId": "Shadowed"`) {
		t.Errorf("sarif output:\n%s", sarif)
	}
}

func TestAnalyzeErrorsReachMachineOutputs(t *testing.T) {
	for _, format := range []string{"json", "sarif"} {
		code, out, errOut := run("analyze", "-o", format, "../../../scenario/testdata/invalid-cidr.yaml")
		if code != exitBadInput || !strings.Contains(out, "10.0.0.0/33") || !strings.Contains(errOut, "error: ") {
			t.Errorf("-o %s: exit %d, stdout %q, stderr %q: want exit 2 and the error in both", format, code, out, errOut)
		}
	}
}

package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/trace"
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
	} {
		code, out, errOut := run(args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, nothing on stdout, an error", args, code, out, errOut, exitBadInput)
		}
	}
}

// TestAnalyzeRefusedDocumentLeavesTheRest: a document a cluster refuses is
// reported in every output, the rest is analyzed (as kubectl apply -f
// applies it), and the exit status says an input was refused.
func TestAnalyzeRefusedDocumentLeavesTheRest(t *testing.T) {
	dir := t.TempDir()
	bad := "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  ports: [{port: high}]\n"
	hijack, err := os.ReadFile(analyzeData + "Hijack/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The bad document shares a file with good ones, and another file.
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), append(append(hijack, "\n---\n"...), bad...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale.yaml"), []byte("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("analyze", dir)
	if code != exitBadInput || !strings.Contains(out, "ERROR Hijack") || !strings.Contains(errOut, "app.yaml: document 2") ||
		!strings.Contains(errOut, "stale.yaml: document 1") || !strings.Contains(errOut, "2 refused") {
		t.Errorf("text: exit %d, stdout %q, stderr %q; want %d, the Hijack finding, both refused documents named", code, out, errOut, exitBadInput)
	}
	for _, format := range []string{"json", "sarif"} {
		code, out, _ := run("analyze", "-o", format, dir)
		if code != exitBadInput || !strings.Contains(out, "Hijack") || !strings.Contains(out, "stale.yaml") || !strings.Contains(out, "app.yaml") {
			t.Errorf("%s: exit %d, want %d with the finding and both problems:\n%s", format, code, exitBadInput, out)
		}
	}
}

func TestAnalyzeOutputs(t *testing.T) {
	_, text, _ := run("analyze", analyzeData+"gitops")
	if !strings.Contains(text, "ERROR Shadowed: connections to users-db.example.com:3306 ") || !strings.Contains(text, "external.yaml#2 (ServiceEntry") || !strings.Contains(text, "for 3 sidecars") {
		t.Errorf("text output:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if len(line) > 100 && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("a line of %d columns: %q", len(line), line)
		}
	}
	// The witness commands of the text output, pasted with their line
	// continuations, run and answer what the JSON witnesses say.
	var commands []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "listenerlab trace ") {
			continue
		}
		cmd := strings.TrimSpace(lines[i])
		for strings.HasSuffix(cmd, " \\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + strings.TrimSpace(lines[i])
		}
		commands = append(commands, cmd)
	}
	if len(commands) != 4 {
		t.Fatalf("%d witness commands in the text output, want one per finding (4):\n%s", len(commands), text)
	}
	for _, cmd := range commands {
		args := shellSplit(t, cmd)
		if code, out, errOut := run(append([]string{"trace"}, args[2:]...)...); code != exitOK || !strings.Contains(out, "answer: cluster outbound|") {
			t.Errorf("pasted %q: exit %d: %s%s", cmd, code, out, errOut)
		}
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

// TestWitnessCommandsPaste runs every witness command analyze prints, as a
// user pasting it would (split as a shell does), and checks that trace
// sends the connection where the witness says.
func TestWitnessCommandsPaste(t *testing.T) {
	inputs, err := filepath.Glob(analyzeData + "*/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs, analyzeData+"gitops", "../../../scenarios/serviceentry/tcp-443-without-addresses-hijacks-tls.yaml")
	pasted := 0
	for _, in := range inputs {
		_, out, _ := run("analyze", "-o", "json", in)
		var r analyze.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		for _, f := range r.Findings {
			w := f.Witness
			if w == nil {
				// The sidecar's own ports lead to listeners the prediction
				// leaves out: no witness (predictor.witnessable).
				own := f.Code == "PortSkipped" && (f.Port == 15006 || f.Port == 15021 || f.Port == 15090)
				if f.Severity != "info" && !own {
					t.Errorf("%s: %s %s has no witness", in, f.Severity, f.Code)
				}
				continue
			}
			args := shellSplit(t, w.Command)
			if len(args) < 2 || args[0] != "listenerlab" || args[1] != "trace" {
				t.Errorf("%s: %s: command %q is not listenerlab trace", in, f.Code, w.Command)
				continue
			}
			code, got, errOut := run(append([]string{"trace", "-o", "json"}, args[2:]...)...)
			if code != exitOK {
				t.Errorf("%s: %s: %q exits %d: %s", in, f.Code, w.Command, code, errOut)
				continue
			}
			var traced []struct{ Result trace.Result }
			if err := json.Unmarshal([]byte(got), &traced); err != nil || len(traced) != 1 {
				t.Errorf("%s: %s: trace output %v: %s", in, f.Code, err, got)
				continue
			}
			res := traced[0].Result
			dest := "closed"
			if d := res.Destination; d != nil {
				dest = d.String()
			}
			if w.Route != "" {
				// A request witness ends where the route configuration
				// sends it.
				rt, routed, ok := predictor.RouteTaken(res)
				if !ok || rt != w.Route {
					t.Errorf("%s: %s: pasted %q takes route %q, the witness says %q", in, f.Code, w.Command, rt, w.Route)
				}
				dest = routed
			}
			if res.Listener != w.Listener || dest != w.Destination {
				t.Errorf("%s: %s: pasted %q goes to %s %s, the witness says %s %s", in, f.Code, w.Command, res.Listener, dest, w.Listener, w.Destination)
			}
			pasted++
		}
	}
	if pasted < 10 {
		t.Errorf("%d witness commands pasted, want at least 10", pasted)
	}
}

// shellSplit splits a command line as a POSIX shell does for the quoting
// witness commands use: words separated by spaces, single-quoted parts,
// and a backslash escaping one character outside quotes.
func shellSplit(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

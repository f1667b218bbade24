package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// action is the part of action.yml's composite action this test runs.
type action struct {
	Inputs map[string]struct {
		Default string `json:"default"`
	} `json:"inputs"`
	Runs struct {
		Using string `json:"using"`
		Steps []struct {
			ID    string            `json:"id"`
			Name  string            `json:"name"`
			Uses  string            `json:"uses"`
			If    string            `json:"if"`
			Run   string            `json:"run"`
			Env   map[string]string `json:"env"`
			Shell string            `json:"shell"`
		} `json:"steps"`
	} `json:"runs"`
}

var expression = regexp.MustCompile(`\$\{\{\s*([^}]+?)\s*\}\}`)

// runAction runs action.yml's shell steps as the runner would, with the
// listenerlab built here standing in for its build step's output: inputs
// and step outputs are substituted, `uses` steps (setup-go, the SARIF
// upload) are left out. It returns the exit status of the last step and
// the analyze step's exit-code output.
func runAction(t *testing.T, bin string, inputs map[string]string) (last int, analyzeRC string) {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs.using = %q, want composite", a.Runs.Using)
	}
	values := map[string]string{}
	for k, in := range a.Inputs {
		values["inputs."+k] = in.Default
	}
	for k, v := range inputs {
		if _, ok := a.Inputs[k]; !ok {
			t.Fatalf("input %q is not in action.yml", k)
		}
		values["inputs."+k] = v
	}
	root, _ := filepath.Abs("../..")
	values["github.action_path"] = root
	temp := t.TempDir()
	out := filepath.Join(temp, "github_output")
	subst := func(s string) string {
		return expression.ReplaceAllStringFunc(s, func(m string) string {
			k := expression.FindStringSubmatch(m)[1]
			v, ok := values[k]
			if !ok {
				t.Fatalf("action.yml: %s is not known to this test", m)
			}
			return v
		})
	}
	ran := 0
	for _, st := range a.Runs.Steps {
		if st.Uses != "" || st.Run == "" || strings.HasPrefix(st.Name, "Build") {
			continue
		}
		if st.Shell != "bash" {
			t.Fatalf("step %q: shell %q, want bash (a composite step must name it)", st.Name, st.Shell)
		}
		os.Remove(out)
		cmd := exec.Command("bash", "-e", "-c", subst(st.Run))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "RUNNER_TEMP="+temp, "GITHUB_OUTPUT="+out)
		for k, v := range st.Env {
			cmd.Env = append(cmd.Env, k+"="+subst(v))
		}
		// The build step's output, built by the test instead.
		if err := os.Link(bin, filepath.Join(temp, "listenerlab")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		err := cmd.Run()
		last = cmd.ProcessState.ExitCode()
		if err != nil && last < 0 {
			t.Fatalf("step %q: %v", st.Name, err)
		}
		if o, err := os.ReadFile(out); err == nil && st.ID != "" {
			for _, line := range strings.Split(strings.TrimSpace(string(o)), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					values["steps."+st.ID+".outputs."+k] = v
				}
			}
		}
		ran++
	}
	if ran < 2 {
		t.Fatalf("action.yml: %d shell steps ran, want the analyze step and the last one", ran)
	}
	return last, values["steps.analyze.outputs.exit-code"]
}

// TestAction runs the action users copy (action.yml) on corpus scenarios:
// the job fails exactly as analyze exits, and the SARIF file holds the
// findings.
func TestAction(t *testing.T) {
	if testing.Short() {
		t.Skip("builds listenerlab")
	}
	bin := filepath.Join(t.TempDir(), "listenerlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	shadow := "scenarios/serviceentry/tcp-without-addresses-shadow.yaml"
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  ports: [{port: high}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		inputs  map[string]string
		rc      string
		results bool
	}{
		{"an error finding fails the job", map[string]string{"path": shadow}, "1", true},
		{"fail-on none passes with the findings in SARIF", map[string]string{"path": shadow, "fail-on": "none"}, "0", true},
		{"bad input exits 2", map[string]string{"path": bad}, "2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sarif := filepath.Join(t.TempDir(), "out.sarif")
			tt.inputs["sarif"] = sarif
			last, rc := runAction(t, bin, tt.inputs)
			if rc != tt.rc || strconv.Itoa(last) != rc {
				t.Fatalf("analyze exit-code output %q, last step exit %d; want %s for both", rc, last, tt.rc)
			}
			data, err := os.ReadFile(sarif)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []json.RawMessage `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("SARIF: %v\n%s", err, data)
			}
			if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
				t.Fatalf("SARIF version %q with %d runs", doc.Version, len(doc.Runs))
			}
			if got := len(doc.Runs[0].Results) > 0; got != tt.results {
				t.Errorf("SARIF has %d results; want results: %t", len(doc.Runs[0].Results), tt.results)
			}
		})
	}
}

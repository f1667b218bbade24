package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const shadow = "../../../scenarios/serviceentry/tcp-without-addresses-shadow.yaml"

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPredictTable(t *testing.T) {
	code, out, errOut := run("predict", shadow)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"LISTENER", "0.0.0.0_3306", "cluster outbound|3306||sql-a.example.com", "Shadowed", "Hijack"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPredictJSONIsDeterministic(t *testing.T) {
	_, first, _ := run("predict", "-o", "json", shadow)
	_, second, _ := run("predict", shadow, "-o", "json")
	if first != second {
		t.Error("two runs on the same input print different bytes")
	}
	var got []predicted
	if err := json.Unmarshal([]byte(first), &got); err != nil || len(got) != 1 || len(got[0].Prediction.Listeners) == 0 {
		t.Errorf("json output: %v, %d results", err, len(got))
	}
}

func TestBadInputPrintsNothingOnStdout(t *testing.T) {
	code, out, errOut := run("predict", "../../../scenario/testdata/invalid-cidr.yaml")
	if code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
	if out != "" {
		t.Errorf("stdout is not empty: %q", out)
	}
	if !strings.Contains(errOut, "invalid-cidr.yaml: document 2 (ServiceEntry ext): spec.addresses[0]") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestDirectoryKeepsGoodScenarios(t *testing.T) {
	code, out, errOut := run("predict", "../../../scenario/testdata")
	if code != exitBadInput {
		t.Errorf("exit %d, want %d", code, exitBadInput)
	}
	if !strings.Contains(out, "# t (") {
		t.Errorf("the good scenario did not run:\n%s", out)
	}
	if n := strings.Count(errOut, "error: "); n < 10 {
		t.Errorf("%d errors reported, want one per invalid file:\n%s", n, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"predict"}, {"predict", "-o", "xml", shadow}, {"predict", "--istio", "0.9", shadow}, {"verify", "--istio", "9.99", shadow}} {
		if code, _, _ := run(args...); code != exitBadInput {
			t.Errorf("%v: exit %d, want %d", args, code, exitBadInput)
		}
	}
	code, _, errOut := run("verify", "--istio", "9.99", shadow)
	if code != exitBadInput || !strings.Contains(errOut, "known:") {
		t.Errorf("unknown version should list the known ones: %s", errOut)
	}
}

func TestExplain(t *testing.T) {
	code, out, _ := run("explain", shadow)
	if code != exitOK || !strings.Contains(out, "why:") || !strings.Contains(out, "Conflicts istiod records") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

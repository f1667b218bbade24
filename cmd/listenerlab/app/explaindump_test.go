package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tcpShadow = "../../../scenarios/serviceentry/tcp-without-addresses-shadow.yaml"

// TestExplainDump explains the real pilot's dumps with the scenarios they
// were made from: every listener and chain is attributed, and the
// prediction and the dump agree.
func TestExplainDump(t *testing.T) {
	tests := []struct {
		dump, manifests string
		want            []string
	}{
		{shadowDump, tcpShadow, []string{
			"8 outbound listeners in the dump, 8 predicted",
			"sql-a.example.com:3306: ServiceEntry default/sql-a [by cluster name]",
			"0.0.0.0_3306: sql-b.example.com rejected, sql-a.example.com kept",
		}},
		{tlsDump, tlsSNI, []string{
			"api.github.com:443: ServiceEntry default/github-api [by cluster name]",
			"services: api.github.com, storage.googleapis.com",
		}},
	}
	for _, tt := range tests {
		code, out, errOut := run("explain", "--dump", tt.dump, "--manifests", tt.manifests)
		if code != exitOK {
			t.Errorf("%s: exit %d: %s\n%s", tt.dump, code, errOut, out)
		}
		for _, w := range append(tt.want, "Every listener and chain attributed", "Prediction vs dump: no difference.") {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.dump, w, out)
			}
		}
		if strings.Contains(out, "not attributed") || strings.Contains(out, "not predicted") {
			t.Errorf("%s: something is not attributed:\n%s", tt.dump, out)
		}
	}
}

// TestExplainDumpPlainManifests reads the scenario's manifests without its
// header: the client comes from --client.
func TestExplainDumpPlainManifests(t *testing.T) {
	data, err := os.ReadFile(tcpShadow)
	if err != nil {
		t.Fatal(err)
	}
	_, manifests, _ := strings.Cut(string(data), "\n---\n")
	file := filepath.Join(t.TempDir(), "manifests.yaml")
	if err := os.WriteFile(file, []byte(manifests), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("explain", "--dump", shadowDump, "--manifests", file, "--client", "default/app=client")
	if code != exitOK || !strings.Contains(out, "client default/app=client (--client)") || !strings.Contains(out, "no difference") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
}

// TestExplainDumpDifferences explains a dump with the wrong manifests: the
// differences are listed and the status is exitMismatch.
func TestExplainDumpDifferences(t *testing.T) {
	code, out, _ := run("explain", "--dump", tlsDump, "--manifests", tcpShadow)
	if code != exitMismatch {
		t.Errorf("exit %d, want %d", code, exitMismatch)
	}
	for _, w := range []string{"Prediction vs dump (-predicted +dump)", "listener 0.0.0.0_3306:", "listener 0.0.0.0_443:", "not predicted"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestExplainDumpBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"explain"},
		{"explain", "--manifests", tcpShadow},
		{"explain", "--dump", shadowDump},
		{"explain", "--dump", "no-such.json", "--manifests", tcpShadow},
		{"explain", "--dump", tcpShadow, "--manifests", tcpShadow},
		{"explain", "--dump", shadowDump, "--manifests", "no-such-dir"},
		{"explain", "--dump", shadowDump, "--manifests", tcpShadow, "--client", "app=client"},
		{"explain", "--dump", shadowDump, "--manifests", tcpShadow, "--client", "default/app"},
		{"explain", "--dump", shadowDump, "--manifests", "../../../scenario/testdata/invalid-cidr.yaml"},
	} {
		code, out, errOut := run(args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, want %d; stdout %q; stderr %q", args, code, exitBadInput, out, errOut)
		}
	}
}

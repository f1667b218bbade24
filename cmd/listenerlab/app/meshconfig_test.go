package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes data to name in a test's temporary folder.
func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMeshConfigStrict: a misspelt mesh config field is bad input (exit 2)
// naming the file, the ConfigMap or document, and the field's path, from
// every place mesh config enters.
func TestMeshConfigStrict(t *testing.T) {
	bad := writeTemp(t, "bad.yaml", "defaultConfig:\n  proxyMetdata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n")
	cm := writeTemp(t, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    outboundTrafficPolicy: {mode: REGISTRY_ONY}\n")
	header := writeTemp(t, "header.yaml", "kind: Scenario\nname: h\nmeshConfig:\n  defaultServiceExportTo: .\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"predict", "--mesh-config", bad, shadow}, "bad.yaml: meshConfig.defaultConfig.proxyMetdata: unknown field (did you mean proxyMetadata?)"},
		{[]string{"explain", "--mesh-config", bad, shadow}, "bad.yaml: meshConfig.defaultConfig.proxyMetdata: unknown field"},
		{[]string{"analyze", "--mesh-config", cm, analyzeData + "gitops"},
			"cm.yaml: ConfigMap istio-system/istio: data.mesh: meshConfig.outboundTrafficPolicy.mode: unknown value REGISTRY_ONY (one of REGISTRY_ONLY, ALLOW_ANY, ALLOW_ANY_DYNAMIC_DNS)"},
		{[]string{"predict", cm}, "cm.yaml: document 1 (ConfigMap istio): data.mesh: meshConfig.outboundTrafficPolicy.mode: unknown value REGISTRY_ONY"},
		{[]string{"predict", header}, "header.yaml: document 1 (Scenario h): meshConfig.defaultServiceExportTo: want a list, got a string"},
	} {
		code, out, errOut := run(tc.args...)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit %d and stderr naming %q", strings.Join(tc.args[:1], " "), code, out, errOut, exitBadInput, tc.want)
		}
	}
}

// TestNotModelledOnEveryOutput: a set mesh config field that listenerlab
// does not model, and a set istiod flag of that kind, are named on text
// output (stderr), in JSON and in SARIF.
func TestNotModelledOnEveryOutput(t *testing.T) {
	mesh := writeTemp(t, "mesh.yaml", "proxyHttpPort: 15080\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n")
	const field = "meshConfig.proxyHttpPort (adds an outbound HTTP proxy listener on that port)"
	code, _, errOut := run("predict", "--mesh-config", mesh, shadow)
	if code != exitOK || !strings.Contains(errOut, "not modelled: "+field+"\n") {
		t.Errorf("predict: exit %d, stderr:\n%s\nwant the line %q", code, errOut, "not modelled: "+field)
	}
	if strings.Contains(errOut, "outboundTrafficPolicy") {
		t.Errorf("predict: a modelled field reported:\n%s", errOut)
	}
	_, out, _ := run("predict", "-o", "json", "--mesh-config", mesh, shadow)
	var preds []predicted
	if err := json.Unmarshal([]byte(out), &preds); err != nil || len(preds) != 1 || strings.Join(preds[0].Prediction.NotModelled, "|") != field {
		t.Errorf("predict -o json: %v, notModelled %v, want [%s]", err, preds, field)
	}
	_, _, errOut = run("explain", "--mesh-config", mesh, shadow)
	if !strings.Contains(errOut, "not modelled: "+field) {
		t.Errorf("explain: stderr:\n%s", errOut)
	}
	_, out, errOut = run("trace", "-o", "json", "--to", "10.96.1.1:3306", "--client", "default/app=client", "--mesh-config", mesh, analyzeData+"gitops")
	if !strings.Contains(out, `"notModelled": [`) || !strings.Contains(out, "meshConfig.proxyHttpPort") || !strings.Contains(errOut, "not modelled: "+field) {
		t.Errorf("trace: stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	_, _, errOut = run("analyze", "--fail-on", "none", "--mesh-config", mesh, analyzeData+"gitops")
	if !strings.Contains(errOut, "not modelled: "+field+"\n") {
		t.Errorf("analyze: stderr:\n%s", errOut)
	}
	_, out, _ = run("analyze", "-o", "json", "--fail-on", "none", "--mesh-config", mesh, analyzeData+"gitops")
	if !strings.Contains(out, `"setting": "`+field+`"`) {
		t.Errorf("analyze -o json lacks the setting:\n%s", out)
	}
	_, out, _ = run("analyze", "-o", "sarif", "--fail-on", "none", "--mesh-config", mesh, analyzeData+"gitops")
	if !strings.Contains(out, `"level": "warning",`+"\n") || !strings.Contains(out, `"text": "not modelled: `+field+`"`) {
		t.Errorf("analyze -o sarif lacks the warning:\n%s", out)
	}
}

// TestPredictJSONCarriesNoReleaseNoticeForMaster: master (1.32) is
// catalogued as 1.32-dev (built from an istio/istio clone and verified),
// so predicting it offline carries no "newer than every version" notice,
// in JSON or on stderr. (versions.TestUnverified checks the notice of a
// minor newer than the catalog.)
func TestPredictJSONCarriesNoReleaseNoticeForMaster(t *testing.T) {
	code, out, errOut := run("predict", "-o", "json", "--istio", "master", shadow)
	var preds []predicted
	if err := json.Unmarshal([]byte(out), &preds); err != nil || code != exitOK || len(preds) != 1 {
		t.Fatalf("exit %d, %v: %s", code, err, errOut)
	}
	if nm := strings.Join(preds[0].Prediction.NotModelled, "|"); strings.Contains(nm, "is newer than every version") {
		t.Errorf("notModelled = %q, want no release notice", nm)
	}
	if strings.Contains(errOut, "is newer than every version") {
		t.Errorf("stderr has the notice:\n%s", errOut)
	}
}

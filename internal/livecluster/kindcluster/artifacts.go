package kindcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Artifacts is the layout of the artifacts folder:
//
//	ROOT/istio-VERSION/junit.xml          JUnit of the run
//	ROOT/istio-VERSION/results.json       compare.Result list (listenerlab matrix --results)
//	ROOT/istio-VERSION/report.txt         one verdict per scenario and the summary
//	ROOT/istio-VERSION/cluster-logs/      kind's logs, exported before deletion
//	ROOT/istio-VERSION/SCENARIO/          only for a scenario that failed:
//	    config_dump.json  the client sidecar's Envoy config dump
//	    istiod.log        istiod's log lines about the client proxy
//	    world.json        the live World
//	    prediction.json   the prediction on the live World
//	    diff.txt          the differences and the command that reruns it
//	    captured.yaml     the scenario capture wrote from the live cluster,
//	    original.yaml     and the scenario file, when the two predict
//	                      different listeners (capture round trip)
type Artifacts struct {
	Root    string
	Version string
}

// Dir is the folder of the run.
func (a Artifacts) Dir() string { return filepath.Join(a.Root, "istio-"+a.Version) }

// JUnit, Results, Report and ClusterLogs are the run's files.
func (a Artifacts) JUnit() string       { return filepath.Join(a.Dir(), "junit.xml") }
func (a Artifacts) Results() string     { return filepath.Join(a.Dir(), "results.json") }
func (a Artifacts) Report() string      { return filepath.Join(a.Dir(), "report.txt") }
func (a Artifacts) ClusterLogs() string { return filepath.Join(a.Dir(), "cluster-logs") }

// Failure file names inside a scenario's folder.
const (
	ConfigDumpFile = "config_dump.json"
	PushStatusFile = "push_status.json"
	IstiodLogFile  = "istiod.log"
	WorldFile      = "world.json"
	PredictionFile = "prediction.json"
	DiffFile       = "diff.txt"
	CapturedFile   = "captured.yaml"
	OriginalFile   = "original.yaml"
)

// Scenario is the folder of one scenario's failure evidence.
func (a Artifacts) Scenario(name string) string {
	return filepath.Join(a.Dir(), safeName(name))
}

// WriteScenario writes one file of a scenario's evidence, creating the
// folder, and returns its path.
func (a Artifacts) WriteScenario(scenario, file string, data []byte) (string, error) {
	dir := a.Scenario(scenario)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, file)
	return p, os.WriteFile(p, data, 0o644)
}

// RerunCommand is the command that reruns just one scenario file on the
// same version, keeping the cluster for a quick second try.
func RerunCommand(version, file, clusterName string) string {
	cmd := fmt.Sprintf("make e2e ISTIO_VERSION=%s SCENARIOS=%s KEEP_CLUSTER=1", version, shellQuote(file))
	if clusterName != "" && clusterName != DefaultClusterName {
		cmd += " CLUSTER_NAME=" + shellQuote(clusterName)
	}
	return cmd
}

// DefaultClusterName is the kind cluster make e2e creates.
const DefaultClusterName = "listenerlab"

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=*", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

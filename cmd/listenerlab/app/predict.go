package app

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// predicted is one scenario's prediction, as -o json prints it.
type predicted struct {
	Scenario   string                `json:"scenario"`
	File       string                `json:"file"`
	Prediction *predictor.Prediction `json:"prediction"`
	World      *world.World          `json:"-"`
	// Version is the Istio version whose rules made Prediction.
	Version versions.Version `json:"-"`
}

type predictFlags struct {
	output     string
	istio      string
	meshConfig string
}

// predictAll loads and predicts every scenario under paths with the
// rules of label, the mesh config file meshConfig (when set) replacing
// each scenario's; bad scenarios are reported on stderr and make the
// status exitBadInput. What each prediction does not model is printed on
// stderr.
func predictAll(paths []string, label, meshConfig string, stderr io.Writer) ([]predicted, int) {
	v, err := offlineVersion(label, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab: %v\n", err)
		return nil, exitBadInput
	}
	var mesh map[string]any
	if meshConfig != "" {
		if mesh, err = readMeshConfig(meshConfig); err != nil {
			fmt.Fprintf(stderr, "listenerlab: --mesh-config: %v\n", err)
			return nil, exitBadInput
		}
	}
	scs, status := load(paths, scenario.LoadAll, stderr)
	var out []predicted
	var nm []notModelledOf
	for _, sc := range scs {
		if meshConfig != "" {
			sc.Header.MeshConfig = mesh
		}
		w, p, err := resolve.Predict(sc, v)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			status = exitBadInput
			continue
		}
		out = append(out, predicted{Scenario: sc.Header.Name, File: sc.Path, Prediction: p, World: w, Version: v})
		nm = append(nm, notModelledOf{name: sc.Header.Name, items: p.NotModelled})
	}
	printNotModelled(stderr, nm)
	return out, status
}

// meshConfigUsage is the --mesh-config flag's help of the commands that
// predict scenario files.
const meshConfigUsage = "mesh config YAML file (or the istio ConfigMap), decoded strictly against MeshConfig; replaces each scenario's mesh config"

func runPredict(args []string, stdout, stderr io.Writer) int {
	var f predictFlags
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.StringVar(&f.output, "o", "table", "output: table, json or yaml")
	fs.StringVar(&f.istio, "istio", versions.Newest().Label, "Istio version whose rules to apply")
	fs.StringVar(&f.meshConfig, "mesh-config", "", meshConfigUsage)
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	if err := oneOf(f.output, "table", "json", "yaml"); err != nil {
		fmt.Fprintf(stderr, "listenerlab predict: -o: %v\n", err)
		return exitBadInput
	}
	results, status := predictAll(paths, f.istio, f.meshConfig, stderr)
	var buf bytes.Buffer
	if err := writePredictions(&buf, f.output, results); err != nil {
		fmt.Fprintf(stderr, "listenerlab predict: %v\n", err)
		return exitBadInput
	}
	stdout.Write(buf.Bytes())
	return status
}

func writePredictions(w io.Writer, output string, results []predicted) error {
	switch output {
	case "json", "yaml":
		if results == nil {
			results = []predicted{}
		}
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		if output == "yaml" {
			if data, err = yaml.JSONToYAML(data); err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "# %s (%s), Istio %s rules\n", r.Scenario, r.File, r.Prediction.Version)
		if err := report.Table(w, r.Prediction.Listeners); err != nil {
			return err
		}
		if len(r.Prediction.Routes) > 0 {
			fmt.Fprintln(w)
			if err := report.Routes(w, r.Prediction.Routes); err != nil {
				return err
			}
		}
		if len(r.Prediction.Findings) > 0 {
			fmt.Fprintln(w)
			report.Findings(w, r.Prediction.Findings)
		}
	}
	return nil
}

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	istio := fs.String("istio", versions.Newest().Label, "Istio version whose rules to apply")
	meshConfig := fs.String("mesh-config", "", meshConfigUsage)
	df := addExplainDumpFlags(fs)
	paths, status, ok := parseFlagsOptional(fs, args, stderr)
	if !ok {
		return status
	}
	if df.set() {
		return runExplainDump(df, *istio, paths, stdout, stderr)
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "listenerlab explain: give at least one scenario file or directory\n")
		return exitBadInput
	}
	results, status := predictAll(paths, *istio, *meshConfig, stderr)
	var buf bytes.Buffer
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(&buf)
		}
		report.Explain(&buf, r.Scenario+" ("+r.File+")", r.Prediction)
	}
	stdout.Write(buf.Bytes())
	return status
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runWorld prints the resolved World of each scenario: the interchange
// format the pilot backends read.
func runWorld(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("world", flag.ContinueOnError)
	istio := fs.String("istio", versions.Newest().Label, "Istio version to resolve for (it decides address allocation)")
	meshConfig := fs.String("mesh-config", "", meshConfigUsage)
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	results, status := predictAll(paths, *istio, *meshConfig, stderr)
	var worlds []*world.World
	for _, r := range results {
		worlds = append(worlds, r.World)
	}
	data, err := json.MarshalIndent(worlds, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab world: %v\n", err)
		return exitBadInput
	}
	fmt.Fprintf(stdout, "%s\n", data)
	return status
}

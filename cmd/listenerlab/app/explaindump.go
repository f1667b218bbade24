package app

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/attribute"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/scenario"
)

// explainDumpFlags are the flags explain takes to explain a real sidecar's
// config dump instead of a prediction.
type explainDumpFlags struct {
	dump, manifests, client string
}

func addExplainDumpFlags(fs *flag.FlagSet) *explainDumpFlags {
	f := &explainDumpFlags{}
	fs.StringVar(&f.dump, "dump", "", "explain this real sidecar's config dump (pilot-agent request GET config_dump, istioctl proxy-config all -o json)")
	fs.StringVar(&f.manifests, "manifests", "", "with --dump: the cluster's manifests, a scenario file or plain manifests (file or directory)")
	fs.StringVar(&f.client, "client", "", "with --dump: the sidecar's workload as NAMESPACE/LABELKEY=VALUE[,KEY=VALUE] (default: the scenario header's client, else default/app=client)")
	return f
}

func (f *explainDumpFlags) set() bool { return f.dump != "" || f.manifests != "" || f.client != "" }

// runExplainDump predicts the listeners of the dump's sidecar from the
// manifests, attributes every outbound listener and chain of the dump to
// the services that caused it, and lists what the prediction and the dump
// do not share (attribute.Explain). Differences exit with exitMismatch.
func runExplainDump(f *explainDumpFlags, istio string, paths []string, stdout, stderr io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "listenerlab explain: "+format+"\n", args...)
		return exitBadInput
	}
	if f.manifests != "" {
		paths = append([]string{f.manifests}, paths...)
	}
	switch {
	case f.dump == "":
		return fail("--manifests and --client go with --dump config_dump.json")
	case len(paths) == 0:
		return fail("--dump needs the manifests: --manifests FILE_OR_DIR")
	}
	v, err := offlineVersion(istio, stderr)
	if err != nil {
		return fail("%v", err)
	}
	d, err := attribute.ReadDump(f.dump)
	if err != nil {
		return fail("%v", err)
	}
	sc, clientFrom, err := f.scenario(paths)
	if err != nil {
		return fail("%v", err)
	}
	e, err := attribute.Explain(d, sc, v)
	if err != nil {
		return fail("%v", err)
	}
	printNotModelled(stderr, []notModelledOf{{name: clientFrom, items: e.Prediction.NotModelled}})
	var buf bytes.Buffer
	writeExplanation(&buf, e, f.dump, clientFrom)
	stdout.Write(buf.Bytes())
	if len(e.Differences) > 0 {
		return exitMismatch
	}
	return exitOK
}

// scenario loads the manifests with the client --client names, and says
// where the client came from.
func (f *explainDumpFlags) scenario(paths []string) (sc *scenario.Scenario, clientFrom string, err error) {
	sc, err = attribute.LoadManifests(paths)
	if err != nil {
		return nil, "", err
	}
	switch {
	case f.client != "":
		if err := attribute.SetClient(sc, f.client); err != nil {
			return nil, "", fmt.Errorf("--client: %w", err)
		}
		return sc, "--client", nil
	case sc.Headerless:
		return sc, "default for plain manifests; set it with --client", nil
	}
	return sc, "scenario header", nil
}

// writeExplanation writes an explanation: the client, the dump's
// warnings, each listener attributed, then the summary.
func writeExplanation(buf *bytes.Buffer, e *attribute.Explanation, dumpFile, clientFrom string) {
	sc, p, real := e.Scenario, e.Prediction, e.Real
	fmt.Fprintf(buf, "# config dump %s, manifests %s\n", dumpFile, sc.Path)
	fmt.Fprintf(buf, "client %s/%s (%s), predicted with Istio %s rules: %d outbound listeners in the dump, %d predicted\n",
		sc.Header.ClientNamespace(), formatLabels(sc.Header.ClientLabels()), clientFrom, p.Version, len(real), len(p.Listeners))
	for _, u := range e.Dump.Unreadable {
		fmt.Fprintf(buf, "warning: listener %q could not be read: %s\n", u.Name, u.Message)
	}
	for _, r := range e.Dump.Rejected {
		fmt.Fprintf(buf, "warning: Envoy rejected an update of listener %q: %s\n", r.Name, r.Message)
	}
	for _, l := range e.Report.Listeners {
		fmt.Fprintf(buf, "\n%s\n", l.Name)
		if l.Predicted {
			fmt.Fprintf(buf, "  why (predicted): %s\n", l.Reason)
		} else {
			fmt.Fprintf(buf, "  not predicted\n")
		}
		for _, c := range l.Chains {
			fmt.Fprintf(buf, "  - %s -> %s\n      %s\n", c.Match, c.Destination.String(), c.Text)
		}
		if len(l.Services) > 0 {
			fmt.Fprintf(buf, "  services: %s\n", strings.Join(l.Services, ", "))
		}
	}
	writeExplanationSummary(buf, e)
}

// writeExplanationSummary writes the predicted conflicts, how much was
// attributed, the differences, and what pilot's terms mean.
func writeExplanationSummary(buf *bytes.Buffer, e *attribute.Explanation) {
	if cs := e.Prediction.Conflicts; len(cs) > 0 {
		fmt.Fprintf(buf, "\nConflicts istiod records (predicted; a config dump does not show them):\n")
		for _, c := range cs {
			fmt.Fprintf(buf, "  %s: %s rejected, %s kept (%s)\n", c.Listener, c.Rejected, c.Accepted, c.Kind)
		}
	}
	if att := e.Report; att.Unattributed == 0 {
		fmt.Fprintf(buf, "\nEvery listener and chain attributed: %d listeners, %d chains.\n", len(e.Real), att.Chains)
	} else {
		fmt.Fprintf(buf, "\n%d of %d chains not attributed.\n", att.Unattributed, att.Chains)
	}
	if diffs := e.Differences; len(diffs) == 0 {
		fmt.Fprintf(buf, "Prediction vs dump: no difference.\n")
	} else {
		fmt.Fprintf(buf, "Prediction vs dump (-predicted +dump), %d differences:\n", len(diffs))
		for _, d := range diffs {
			fmt.Fprintf(buf, "  %s\n", strings.ReplaceAll(d.String(), "\n", "\n  "))
		}
	}
	if terms := report.Terms(buf.String()); len(terms) > 0 {
		fmt.Fprintf(buf, "\nWhat pilot's terms above mean for traffic:\n")
		for _, t := range terms {
			fmt.Fprintf(buf, "  %s: %s\n", t.Term, t.Meaning)
		}
	}
}

func formatLabels(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

package app

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

type analyzeFlags struct {
	output               string
	failOn               string
	istio                string
	maxEndpointListeners int
	clients              clientList
	progress             bool
}

// clientList is the repeatable --client flag.
type clientList []analyze.Client

func (l *clientList) String() string {
	names := make([]string, len(*l))
	for i, c := range *l {
		names[i] = c.Name
	}
	return strings.Join(names, " ")
}

func (l *clientList) Set(s string) error {
	c, err := analyze.ParseClient(s)
	if err != nil {
		return err
	}
	*l = append(*l, c)
	return nil
}

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	var f analyzeFlags
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.StringVar(&f.output, "o", "text", "output: text, json or sarif")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding at or above this severity exists: error, warning, info or none")
	fs.StringVar(&f.istio, "istio", versions.Newest().Label, "Istio version whose rules to apply")
	fs.IntVar(&f.maxEndpointListeners, "max-endpoint-listeners", 100, "report headless service ports with more per-endpoint listeners than this")
	fs.Var(&f.clients, "client", "NAMESPACE/KEY=VALUE[,KEY=VALUE]: check only this client (repeatable)")
	fs.BoolVar(&f.progress, "progress", false, "print sidecars predicted so far on stderr every second (default: once a run takes 2s, when stderr is a terminal)")
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	if err := oneOf(f.output, "text", "json", "sarif"); err != nil {
		fmt.Fprintf(stderr, "listenerlab analyze: -o: %v\n", err)
		return exitBadInput
	}
	if _, ok := analyze.ParseFailOn(f.failOn); !ok {
		fmt.Fprintf(stderr, "listenerlab analyze: --fail-on: %v\n", oneOf(f.failOn, "error", "warning", "info", "none"))
		return exitBadInput
	}
	if f.maxEndpointListeners < 0 {
		fmt.Fprintf(stderr, "listenerlab analyze: --max-endpoint-listeners: %d is negative\n", f.maxEndpointListeners)
		return exitBadInput
	}
	v, err := lookupVersion(f.istio, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab: %v\n", err)
		return exitBadInput
	}
	opts := []analyze.Option{analyze.WithVersion(v), analyze.WithMaxEndpointListeners(f.maxEndpointListeners)}
	if len(f.clients) > 0 {
		opts = append(opts, analyze.WithClients(f.clients...))
	}
	if f.progress || isTerminal(stderr) {
		opts = append(opts, analyze.WithProgress(stderr, f.progress))
	}
	r, err := analyze.Run(paths, opts...)
	if err != nil {
		var ie *analyze.InputError
		if errors.As(err, &ie) {
			for _, e := range ie.Errs {
				fmt.Fprintf(stderr, "error: %v\n", e)
			}
		} else {
			fmt.Fprintf(stderr, "listenerlab analyze: %v\n", err)
		}
		return exitBadInput
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(stderr, "skipped: %s does not apply to Istio %s\n", s, r.Version)
	}
	var buf bytes.Buffer
	switch f.output {
	case "json":
		err = analyze.WriteJSON(&buf, r)
	case "sarif":
		err = analyze.WriteSARIF(&buf, r)
	default:
		err = analyze.WriteText(&buf, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab analyze: %v\n", err)
		return exitBadInput
	}
	stdout.Write(buf.Bytes())
	if r.Fails(f.failOn) {
		return exitMismatch
	}
	return exitOK
}

// isTerminal reports whether w is a terminal, where a progress line on a
// long run helps; in logs it would be noise unless asked for.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/listenerlab/listenerlab/internal/livecluster/capture"
)

type captureFlags struct {
	context    string
	kubeconfig string
	namespace  string
	client     string
	output     string
	timeout    time.Duration
}

// connectCluster builds the API clients; tests replace it with fakes.
var connectCluster = capture.Connect

// runCapture reads one sidecar's situation from a live cluster (list and
// get only) and writes it as a scenario. The file is written only once
// everything was read, through a temporary file renamed over it.
func runCapture(args []string, stdout, stderr io.Writer) int {
	var f captureFlags
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	fs.StringVar(&f.context, "context", "", "kubeconfig context of the cluster to read (required: the current context is never assumed)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&f.namespace, "namespace", "", "namespace of the client pod (required)")
	fs.StringVar(&f.client, "client", "", "name of the client pod whose sidecar to capture (required)")
	fs.StringVar(&f.output, "o", "", "scenario file to write, - for stdout (required)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up reading the cluster after this long")
	extra, status, ok := parseFlagsOptional(fs, args, stderr)
	if !ok {
		return status
	}
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "listenerlab capture: unexpected argument %q (the scenario file is -o)\n", extra[0])
		return exitBadInput
	}
	for _, req := range []struct{ name, value string }{{"--context", f.context}, {"--namespace", f.namespace}, {"--client", f.client}, {"-o", f.output}} {
		if req.value == "" {
			fmt.Fprintf(stderr, "listenerlab capture: %s is required\n", req.name)
			return exitBadInput
		}
	}
	clients, err := connectCluster(f.kubeconfig, f.context)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab capture: %v\n", err)
		return exitBadInput
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	res, err := capture.Capture(ctx, clients, capture.Options{Namespace: f.namespace, Pod: f.client, Context: f.context})
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab capture: %v\n", err)
		return exitBadInput
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if f.output == "-" {
		stdout.Write(res.YAML)
		return exitOK
	}
	if err := capture.WriteFile(f.output, res.YAML); err != nil {
		fmt.Fprintf(stderr, "listenerlab capture: writing %s: %v\n", f.output, err)
		return exitBadInput
	}
	fmt.Fprintf(stdout, "wrote %s: the sidecar of %s/%s in context %s, %d objects\n", f.output, f.namespace, f.client, f.context, len(res.Objects))
	return exitOK
}

//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"github.com/listenerlab/listenerlab/internal/livecluster/e2erun"
)

// flags are the suite's flags (make e2e and make e2e-local set them from
// their variables; see e2erun.Config.RegisterFlags); the e2e-framework's
// own flags (--labels, --feature, --dry-run, ...) work too.
var flags = func() *e2erun.Config {
	c := &e2erun.Config{}
	c.RegisterFlags(flag.CommandLine)
	return c
}()

var (
	testenv  env.Environment
	suite    *e2erun.Suite
	suiteCtx = context.Background()
)

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	// TestInParallel runs features one after another unless this is set;
	// -max-parallel bounds how many run at once.
	cfg.WithParallelTestEnabled()
	flags.DryRun = cfg.DryRunMode()
	if suite, err = e2erun.New(*flags); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(2)
	}
	// Ctrl-C and SIGTERM cancel the suite's context: every wait ends at
	// once, features tear down, Finish deletes the cluster.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, suite.Timeout())
	defer cancel()
	suiteCtx = ctx
	testenv = env.NewWithConfig(cfg).WithContext(ctx)
	if suite.DryRun() {
		suite.PrintPlan(os.Stdout)
		os.Exit(testenv.Run(m))
	}
	testenv.Setup(suite.Setup()...)
	testenv.Finish(suite.Finish()...)
	os.Exit(testenv.Run(m))
}

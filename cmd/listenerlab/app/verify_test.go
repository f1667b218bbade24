package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// Once Ctrl-C ends the context, verify starts no build and no run, and
// counts none of them as errors.
func TestVerifyAllStartsNothingOnceInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	scs := []*scenario.Scenario{{Header: scenario.Header{Name: "a"}}, {Header: scenario.Header{Name: "b"}}}
	var text, stderr bytes.Buffer
	if got := verifyAll(ctx, scs, versions.Catalog, verify.Options{Progress: &stderr}, false, &text, &stderr); len(got) != 0 {
		t.Errorf("verifyAll after the interruption = %d results, want none", len(got))
	}
	if got := verifyVersion(ctx, scs, versions.Newest(), "/nonexistent/pilotbackend", verify.Options{}); len(got) != 0 {
		t.Errorf("verifyVersion after the interruption = %d results, want none", len(got))
	}
	if text.Len()+stderr.Len() != 0 {
		t.Errorf("printed %q and %q, want nothing", text.String(), stderr.String())
	}
}

package backend

import (
	"fmt"
	"time"
)

// RunError is a backend run that failed, with its evidence: which backend,
// on which World, what went wrong and the tail of the backend's stderr.
type RunError struct {
	// Backend names the backend: its Istio version and binary path.
	Backend string
	// Scenario is the World's scenario name.
	Scenario string
	// Problem says what went wrong, e.g. "timed out after 2m0s".
	Problem string
	// Stderr holds the last lines of the backend's stderr.
	Stderr string
	// Err is the underlying error (an *exec.ExitError, a context error, a
	// JSON error, or ErrResultFormat).
	Err error
}

// ErrResultFormat is the error inside a RunError when a backend printed a
// result of another format than ResultFormat.
var ErrResultFormat = fmt.Errorf("backend result format is not %s", ResultFormat)

// Error renders the run, the problem and the stderr tail.
func (e *RunError) Error() string {
	msg := fmt.Sprintf("pilot backend %s on World %q %s: %v", e.Backend, e.Scenario, e.Problem, e.Err)
	if e.Stderr == "" {
		return msg + "; stderr was empty"
	}
	return msg + "; last lines of its stderr:\n" + e.Stderr
}

// Unwrap returns the underlying error.
func (e *RunError) Unwrap() error { return e.Err }

// BuildError is a failed `go build` of a backend, with the tail of go's
// output and where the whole output was saved.
type BuildError struct {
	// Version is the Istio version label; Module the istio.io/istio version.
	Version, Module string
	// Elapsed is how long the build ran.
	Elapsed time.Duration
	// Log is the file holding go's whole output.
	Log string
	// Output holds the last lines of go's output.
	Output string
	// Err is the go command's error.
	Err error
}

// Error renders the version, the go error and the output tail.
func (e *BuildError) Error() string {
	return fmt.Sprintf("building pilot backend for Istio %s (istio.io/istio %s) failed after %s: %v; last lines of go's output (all in %s):\n%s",
		e.Version, e.Module, e.Elapsed, e.Err, e.Log, e.Output)
}

// Unwrap returns the go command's error.
func (e *BuildError) Unwrap() error { return e.Err }

package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/istiod"
	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

// ResultFormat names the JSON a backend prints. Run refuses any other. v2:
// the push's records travel raw as pushStatus, parsed here by
// istiod.Conflicts, the parser of a live istiod's /debug/push_status.
const ResultFormat = "listenerlab.pilot-result/v2"

// DefaultRunTimeout bounds one backend run when ctx has no deadline. A run
// takes about a second; the bound catches a backend that hangs.
const DefaultRunTimeout = 2 * time.Minute

// stderrTailLines is how many lines of a backend's stderr an error shows.
const stderrTailLines = 30

// Result is what a backend reports for one World.
type Result struct {
	// IstioVersion is the istio.io/istio module version the backend links.
	IstioVersion string
	// ProxyVersion is the ISTIO_VERSION the backend gave the client proxy.
	ProxyVersion string
	// ConfigDump is an Envoy admin ConfigDump (the JSON /config_dump
	// prints) holding every listener pilot built for the client, inbound and
	// virtual ones included, in one ListenersConfigDump, then the route
	// configurations those listeners name over RDS, built on the same
	// push, in one RoutesConfigDump (dynamic_route_configs).
	ConfigDump json.RawMessage
	// PushStatus is what istiod would serve as /debug/push_status for this
	// push: its records by metric and key, as pilot wrote them.
	PushStatus json.RawMessage
	// Conflicts are the outbound listener conflicts of PushStatus recorded
	// for the client, as istiod.Conflicts reads them.
	Conflicts []listener.Conflict
}

// wireResult is the JSON a backend prints.
type wireResult struct {
	Format       string          `json:"format"`
	IstioVersion string          `json:"istioVersion"`
	ProxyVersion string          `json:"proxyVersion"`
	ConfigDump   json.RawMessage `json:"configDump"`
	PushStatus   json.RawMessage `json:"pushStatus"`
}

// Run runs the backend binary at binaryPath on w and returns its result.
// The subprocess environment is env (nil means this process's environment)
// plus the World's env: istiod feature flags are read when the backend's
// packages initialize, so they must be in its environment from the start.
// Without a deadline on ctx the run is bounded by DefaultRunTimeout. A crash,
// a timeout, output that is not JSON or a result of another format gives an
// error naming the backend's version and the tail of its stderr.
func Run(ctx context.Context, binaryPath string, w *world.World, env []string) (*Result, error) {
	name := backendName(binaryPath)
	if w == nil {
		return nil, fmt.Errorf("pilot backend %s: no World", name)
	}
	input, err := encodeWorld(name, w)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(0)
	if _, ok := ctx.Deadline(); !ok {
		timeout = DefaultRunTimeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	env = processEnv(env, w.Env)

	cmd := exec.CommandContext(ctx, binaryPath)
	cmd.Stdin = bytes.NewReader(input)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 256 << 10}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	start := time.Now()
	runErr := cmd.Run()
	fail := func(problem string, err error) error {
		return &RunError{Backend: name, Scenario: w.Scenario, Problem: problem, Stderr: gobuild.Tail(stderr.Bytes(), stderrTailLines), Err: err}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		problem := "was cancelled"
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			problem = fmt.Sprintf("timed out after %s", time.Since(start).Round(time.Millisecond))
			if timeout > 0 {
				problem += fmt.Sprintf(" (limit %s)", timeout)
			}
		}
		return nil, fail(problem, ctxErr)
	}
	if runErr != nil {
		var exit *exec.ExitError
		if errors.As(runErr, &exit) && exit.ExitCode() == 2 {
			runErr = fmt.Errorf("%w: %w", ErrRefused, runErr)
		}
		return nil, fail("failed", runErr)
	}
	var res wireResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fail(fmt.Sprintf("printed no JSON result (stdout starts %q)", head(stdout.Bytes(), 200)), err)
	}
	if res.Format != ResultFormat {
		return nil, fail(fmt.Sprintf("printed result format %q, want %q (rebuild the backend from this listenerlab version)",
			res.Format, ResultFormat), ErrResultFormat)
	}
	return result(w, res, fail)
}

// result checks a backend's answer for w and reads its conflicts.
func result(w *world.World, res wireResult, fail func(problem string, err error) error) (*Result, error) {
	if len(res.ConfigDump) == 0 || string(res.ConfigDump) == "null" {
		return nil, fail("printed a result without configDump", ErrResultFormat)
	}
	// The backend's proxy ID is NAME.NAMESPACE, as a sidecar's; records
	// without a proxy are the push's own.
	proxyID := w.Client.Name + "." + w.Client.Namespace
	conflicts, err := istiod.Conflicts(res.PushStatus, func(id string) bool { return id == "" || id == proxyID })
	if err != nil {
		return nil, fail("printed a pushStatus that is not istiod's", fmt.Errorf("%w: %w", ErrResultFormat, err))
	}
	return &Result{
		IstioVersion: res.IstioVersion,
		ProxyVersion: res.ProxyVersion,
		ConfigDump:   res.ConfigDump,
		PushStatus:   res.PushStatus,
		Conflicts:    conflicts,
	}, nil
}

// cacheDirName matches a cache folder made by Build: LABEL-HASH.
var cacheDirName = regexp.MustCompile(`^(.+)-[0-9a-f]{16}$`)

// backendName names a backend in errors: its Istio version label when the
// binary sits in a cache folder made by Build, and its path.
func backendName(binaryPath string) string {
	if m := cacheDirName.FindStringSubmatch(filepath.Base(filepath.Dir(binaryPath))); m != nil {
		return fmt.Sprintf("for Istio %s (%s)", m[1], binaryPath)
	}
	return binaryPath
}

func head(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte { return t.buf }

// encodeWorld is w as the backend reads it, in the current World format
// when w names none.
func encodeWorld(name string, w *world.World) ([]byte, error) {
	in := *w
	if in.Format == "" {
		in.Format = world.Format
	}
	b, err := json.Marshal(&in)
	if err != nil {
		return nil, fmt.Errorf("pilot backend %s: encoding World %q: %w", name, w.Scenario, err)
	}
	return b, nil
}

package backend

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/world"
)

// ErrRefused is the error inside a RunError when the backend refused the
// World as input it cannot take (its exit code 2, or badData in batch
// mode): bad JSON, another format, or an Istio object that Istio's own
// validation refuses. A generator of Worlds counts these apart from
// divergences.
var ErrRefused = errors.New("the backend refused the World")

// Batch is one backend process in batch mode (pilotbackend --batch): it
// answers World after World, so the process start-up (Istio's package
// init) is paid once. Istio reads its feature flags at package init, so a
// Batch serves only Worlds whose env equals the env it was started with
// (EnvKey); Pool keeps one Batch per version and env. A Batch whose process
// died (a crash, a timeout, Istio's fake failing) starts a new one on the
// next Run. Run calls are serialized.
type Batch struct {
	bin  string
	env  map[string]string
	base []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *lockedWriter
	done   chan struct{}
	// Starts counts the processes started, for tests and statistics.
	starts int
}

// NewBatch returns a Batch of the backend binary at bin for Worlds whose
// env is env; base is the process environment beneath it (nil: this
// process's). The process starts on the first Run.
func NewBatch(bin string, env map[string]string, base []string) *Batch {
	return &Batch{bin: bin, env: env, base: base}
}

// EnvKey is the key of a World's env: Worlds with equal keys can share one
// batch process.
func EnvKey(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(env[k])
		b.WriteByte(0)
	}
	return b.String()
}

// Starts is how many processes this Batch has started.
func (b *Batch) Starts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.starts
}

func (b *Batch) start() error {
	cmd := exec.Command(b.bin, "--batch")
	cmd.Env = processEnv(b.base, b.env)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	b.stderr = &lockedWriter{w: &tailBuffer{max: 256 << 10}}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	b.cmd, b.stdin, b.stdout = cmd, stdin, bufio.NewReaderSize(stdout, 1<<20)
	b.done = make(chan struct{})
	b.starts++
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(cmd, b.done)
	return nil
}

// stop kills the process, if any, and waits for it.
func (b *Batch) stop() {
	if b.cmd == nil {
		return
	}
	_ = b.stdin.Close()
	_ = b.cmd.Process.Kill()
	<-b.done
	b.cmd = nil
}

// Close ends the process.
func (b *Batch) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return nil
	}
	_ = b.stdin.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	b.cmd = nil
	return nil
}

// batchLine is one answer of a batch process: a result, or an error.
type batchLine struct {
	wireResult
	Error   string `json:"error"`
	BadData bool   `json:"badData"`
}

// Run answers w. Without a deadline on ctx a World is bounded by
// DefaultRunTimeout; a World that times out kills the process (the next Run
// starts another). Errors are *RunError as Run's; a refused World wraps
// ErrRefused.
func (b *Batch) Run(ctx context.Context, w *world.World) (*Result, error) {
	name := backendName(b.bin)
	if w == nil {
		return nil, fmt.Errorf("pilot backend %s: no World", name)
	}
	if EnvKey(w.Env) != EnvKey(b.env) {
		return nil, fmt.Errorf("pilot backend %s: World %q has another env than this batch process", name, w.Scenario)
	}
	input, err := encodeWorld(name, w)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultRunTimeout)
		defer cancel()
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.ensureStarted(); err != nil {
		return nil, &RunError{Backend: name + " (batch)", Scenario: w.Scenario, Problem: "could not start", Err: err}
	}
	fail := func(problem string, err error) error {
		tail := ""
		if b.stderr != nil {
			tail = gobuild.Tail(b.stderr.Bytes(), stderrTailLines)
		}
		b.stop()
		return &RunError{Backend: name + " (batch)", Scenario: w.Scenario, Problem: problem, Stderr: tail, Err: err}
	}
	line, err := b.exchange(ctx, input, fail)
	if err != nil {
		return nil, err
	}
	return b.decode(name, w, line, fail)
}

// ensureStarted starts a process when there is none or the last one
// ended. The caller holds b.mu.
func (b *Batch) ensureStarted() error {
	if b.cmd != nil {
		select {
		case <-b.done:
			b.cmd = nil
		default:
		}
	}
	if b.cmd == nil {
		return b.start()
	}
	return nil
}

// exchange writes one World to the process and reads its answer line,
// giving up (and killing the process, through fail) when ctx ends first.
// The caller holds b.mu.
func (b *Batch) exchange(ctx context.Context, input []byte, fail func(string, error) error) ([]byte, error) {
	type answer struct {
		line []byte
		err  error
	}
	ch := make(chan answer, 1)
	stdin, stdout := b.stdin, b.stdout
	go func() {
		if _, err := stdin.Write(append(input, '\n')); err != nil {
			ch <- answer{err: err}
			return
		}
		line, err := stdout.ReadBytes('\n')
		ch <- answer{line, err}
	}()
	start := time.Now()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		problem := "was cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			problem = fmt.Sprintf("timed out after %s", time.Since(start).Round(time.Millisecond))
		}
		err := fail(problem, ctx.Err())
		<-ch
		return nil, err
	}
	if a.err != nil {
		<-b.done
		return nil, fail("ended without an answer ("+b.cmd.ProcessState.String()+")", a.err)
	}
	return a.line, nil
}

// decode reads one answer line of the process: a result, or the error the
// backend reported for w. The caller holds b.mu.
func (b *Batch) decode(name string, w *world.World, line []byte, fail func(string, error) error) (*Result, error) {
	var res batchLine
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, fail(fmt.Sprintf("printed no JSON result (line starts %q)", head(line, 200)), err)
	}
	if res.Format != ResultFormat {
		return nil, fail(fmt.Sprintf("printed result format %q, want %q (rebuild the backend from this listenerlab version)",
			res.Format, ResultFormat), ErrResultFormat)
	}
	if res.Error != "" {
		err := errors.New(res.Error)
		if res.BadData {
			err = fmt.Errorf("%w: %s", ErrRefused, res.Error)
		}
		return nil, &RunError{Backend: name + " (batch)", Scenario: w.Scenario, Problem: "failed",
			Stderr: gobuild.Tail(b.stderr.Bytes(), stderrTailLines), Err: err}
	}
	return result(w, res.wireResult, func(problem string, err error) error {
		return &RunError{Backend: name + " (batch)", Scenario: w.Scenario, Problem: problem, Err: err}
	})
}

// Pool keeps one Batch per env for one backend binary.
type Pool struct {
	bin  string
	base []string

	mu      sync.Mutex
	batches map[string]*Batch
}

// NewPool returns a pool of batch processes of the backend binary at bin;
// base is the process environment beneath each World's env (nil: this
// process's).
func NewPool(bin string, base []string) *Pool {
	return &Pool{bin: bin, base: base, batches: map[string]*Batch{}}
}

// Run answers w with the Batch of its env, started on first use.
func (p *Pool) Run(ctx context.Context, w *world.World) (*Result, error) {
	if w == nil {
		return nil, fmt.Errorf("pilot backend %s: no World", backendName(p.bin))
	}
	key := EnvKey(w.Env)
	p.mu.Lock()
	b := p.batches[key]
	if b == nil {
		b = NewBatch(p.bin, w.Env, p.base)
		p.batches[key] = b
	}
	p.mu.Unlock()
	return b.Run(ctx, w)
}

// Starts is how many processes the pool has started.
func (p *Pool) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, b := range p.batches {
		n += b.Starts()
	}
	return n
}

// PIDs are the process ids of the pool's live processes.
func (p *Pool) PIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, b := range p.batches {
		b.mu.Lock()
		if b.cmd != nil && b.cmd.Process != nil {
			out = append(out, b.cmd.Process.Pid)
		}
		b.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

// Close ends every process of the pool.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.batches {
		_ = b.Close()
	}
	p.batches = map[string]*Batch{}
	return nil
}

// processEnv is base (nil: this process's environment) with env over it,
// in key order; later entries win in os/exec.
func processEnv(base []string, env map[string]string) []string {
	if base == nil {
		base = os.Environ()
	}
	out := append([]string(nil), base...)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// lockedWriter serializes writes: the process's stderr is copied by
// os/exec's goroutine while Run reads the tail.
type lockedWriter struct {
	mu sync.Mutex
	w  *tailBuffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Bytes is a copy of what the buffer holds.
func (l *lockedWriter) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.w.Bytes()...)
}

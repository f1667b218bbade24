package gobuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultProgressInterval is how often Build reports that it is still
// building.
const DefaultProgressInterval = 30 * time.Second

// CompileFlags are passed to every build before the Program's Flags:
// without inlining (-l) the compiler does about a fifth less work on the
// 1,600-odd packages of a pilot backend, istiod or Kubernetes (measured on
// k8s.io/client-go/kubernetes, 561 packages, cold cache, 2 cores: 244 s of
// CPU with the defaults, 193 s with -l), and these programs run for
// seconds to minutes, where the slower code costs less than the compile
// saves. Inlining changes no behaviour. They are part of the cache key.
var CompileFlags = []string{"-gcflags=all=-l"}

// UnoptimizedCompileFlags replace CompileFlags for a Program that sets
// Unoptimized: no inlining and no optimizations (-N), 14% less CPU again
// on the same packages (166 s). The standard library keeps CompileFlags
// (go's last matching pattern wins): its few hundred packages then compile
// once for every program, optimized or not, and the hot paths they hold
// (encoding, reflection, maps) stay fast.
var UnoptimizedCompileFlags = []string{"-gcflags=all=-N -l", "-gcflags=std=-l"}

// TailLines is how many lines of go's output an Error shows.
const TailLines = 30

// Options tunes Build. The zero value is ready to use.
type Options struct {
	// Progress receives progress lines while a build runs (start, a line
	// every ProgressInterval, done). Nil discards them.
	Progress io.Writer
	// ProgressInterval defaults to DefaultProgressInterval.
	ProgressInterval time.Duration
	// Go is the go command. Empty means "go" from PATH.
	Go string
	// Nice, when above zero and `nice` is on PATH, runs the build at that
	// niceness so that a cold build leaves the machine usable.
	Nice int
}

// Program is one program to build.
type Program struct {
	// What names the program in progress lines and errors, e.g. "pilot
	// backend 1.26".
	What string
	// Label prefixes the cache folder (LABEL-HASH); Build removes the
	// folders of earlier builds with the same label.
	Label string
	// Files is the module written to the build folder: go.mod, go.sum and
	// any sources, by file name.
	Files map[string][]byte
	// Package is what go builds: "." or an import path of a dependency.
	Package string
	// Binary is the built file's name.
	Binary string
	// Flags are further `go build` flags, e.g. -tags or -ldflags.
	Flags []string
	// Env adds to the go command's environment, e.g. GOFLAGS=-mod=mod.
	Env []string
	// Variant is whatever else besides Files and the Go version makes two
	// builds differ (typically the flags); it is part of the cache key.
	Variant string
	// Expect says how long a cold build takes, for the first progress line.
	Expect string
	// Unoptimized compiles with UnoptimizedCompileFlags instead of
	// CompileFlags: for programs whose runs are short beside their compile.
	// Two programs share compiled packages outside the standard library
	// only when both set it or neither does.
	Unoptimized bool
}

// compileFlags are the flags p is compiled with before its own Flags.
func (p Program) compileFlags() []string {
	if p.Unoptimized {
		return UnoptimizedCompileFlags
	}
	return CompileFlags
}

// Error is a failed `go build`, with the tail of go's output and where the
// whole output was saved.
type Error struct {
	// What is the Program's What.
	What string
	// Elapsed is how long the build ran.
	Elapsed time.Duration
	// Log is the file holding go's whole output.
	Log string
	// Output holds the last TailLines lines of go's output.
	Output string
	// Err is the go command's error.
	Err error
}

// Error renders the program, the go error and the output tail.
func (e *Error) Error() string {
	return fmt.Sprintf("building %s failed after %s: %v; last lines of go's output (all in %s):\n%s", e.What, e.Elapsed, e.Err, e.Log, e.Output)
}

// Unwrap returns the go command's error.
func (e *Error) Unwrap() error { return e.Err }

// CacheRoot is where listenerlab keeps built programs: $LISTENERLAB_CACHE
// when set, else the user cache folder's "listenerlab".
func CacheRoot() (string, error) {
	if d := os.Getenv("LISTENERLAB_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache folder (set LISTENERLAB_CACHE): %w", err)
	}
	return filepath.Join(d, "listenerlab"), nil
}

// GoVersion asks the go command for its version (`go env GOVERSION`).
func GoVersion(ctx context.Context, goCmd string) (string, error) {
	if goCmd == "" {
		goCmd = "go"
	}
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("running %s env GOVERSION: %w", goCmd, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Key hashes everything a build depends on: every file, the variant (the
// flags) and the Go version.
func Key(files map[string][]byte, variant, goVersion string) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "file %q %d\n", n, len(files[n]))
		h.Write(files[n])
	}
	fmt.Fprintf(h, "tags %q\ngo %q\n", variant, goVersion)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Build returns the path of p's binary in cacheDir/LABEL-KEY, building it
// first when that folder has none.
func Build(ctx context.Context, cacheDir string, p Program, opts Options) (string, error) {
	gover, err := GoVersion(ctx, opts.Go)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", p.What, err)
	}
	dir := filepath.Join(cacheDir, p.Label+"-"+Key(p.Files, p.Variant+" "+strings.Join(p.compileFlags(), " "), gover))
	bin := filepath.Join(dir, p.Binary)
	if isFile(bin) {
		markUsed(dir)
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("building %s: %w", p.What, err)
	}
	unlock, err := lockDir(ctx, dir, func() {
		fmt.Fprintf(opts.progress(), "%s: waiting for another process that is building it in %s\n", p.What, dir)
	})
	if err != nil {
		return "", fmt.Errorf("building %s: %w", p.What, err)
	}
	defer unlock()
	if !isFile(bin) { // else built by the process we waited for
		if err := compile(ctx, dir, bin, gover, p, opts); err != nil {
			return "", err
		}
		pruneOld(cacheDir, p.Label, filepath.Base(dir), time.Now().Add(-PruneUnusedFor))
	}
	markUsed(dir)
	return bin, nil
}

func (o Options) progress() io.Writer {
	if o.Progress == nil {
		return io.Discard
	}
	return o.Progress
}

func (o Options) interval() time.Duration {
	if o.ProgressInterval <= 0 {
		return DefaultProgressInterval
	}
	return o.ProgressInterval
}

// compile writes p's files to dir/src and runs go build there into bin,
// reporting progress; go's whole output is kept in dir/build.log.
func compile(ctx context.Context, dir, bin, gover string, p Program, opts Options) error {
	src := filepath.Join(dir, "src")
	if err := writeFiles(src, p.Files); err != nil {
		return fmt.Errorf("building %s: %w", p.What, err)
	}
	tmp := bin + ".tmp"
	args := append(append(append([]string{"build"}, p.compileFlags()...), p.Flags...), "-o", tmp, p.Package)
	cmd := goCommand(ctx, opts, src, args...)
	if len(p.Env) > 0 {
		cmd.Env = append(os.Environ(), p.Env...)
	}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	expect := ""
	if p.Expect != "" {
		expect = " (" + p.Expect + ")"
	}
	progress := opts.progress()
	fmt.Fprintf(progress, "%s: building with %s in %s%s\n", p.What, gover, src, expect)
	start := time.Now()
	stop := tick(progress, opts.interval(), p.What, start)
	runErr := cmd.Run()
	stop()
	elapsed := time.Since(start).Round(time.Second)
	logFile := filepath.Join(dir, "build.log")
	_ = os.WriteFile(logFile, out.Bytes(), 0o644)
	if runErr != nil {
		_ = os.Remove(tmp)
		failed := "failed"
		if ctx.Err() != nil {
			runErr = fmt.Errorf("%w (%v)", ctx.Err(), runErr)
			failed = "cancelled"
		}
		fmt.Fprintf(progress, "%s: build %s after %s\n", p.What, failed, elapsed)
		return &Error{What: p.What, Elapsed: elapsed, Log: logFile, Output: Tail(out.Bytes(), TailLines), Err: runErr}
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("building %s: %w", p.What, err)
	}
	fmt.Fprintf(progress, "%s: built in %s: %s\n", p.What, elapsed, bin)
	return nil
}

// tick writes a "still building" line every interval until the returned
// stop is called (stop waits for the writer to finish).
func tick(progress io.Writer, interval time.Duration, what string, start time.Time) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(progress, "%s: still building (%s)\n", what, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// PruneUnusedFor is how long a build of a label may go unused before a
// new build of the same label removes it. Builds of the same label with
// different sources are in use at once when two checkouts share the cache
// (a branch and main, parallel CI jobs): removing them at once would delete
// a binary another process is about to run.
const PruneUnusedFor = 24 * time.Hour

// markUsed records that dir's build was just used: pruneOld reads the
// folder's modification time.
func markUsed(dir string) {
	now := time.Now()
	_ = os.Chtimes(dir, now, now)
}

// goCommand runs the go command in dir, under `nice -n N` when opts.Nice is
// above zero and nice is on PATH.
func goCommand(ctx context.Context, opts Options, dir string, args ...string) *exec.Cmd {
	name := opts.Go
	if name == "" {
		name = "go"
	}
	if opts.Nice > 0 {
		if path, err := exec.LookPath("nice"); err == nil {
			args = append([]string{"-n", fmt.Sprint(opts.Nice), name}, args...)
			name = path
		}
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// pruneOld removes the cache folders of label's other builds (a binary of
// 100-200 MB each) except keep that were last used before cutoff, skipping
// any folder whose lock another process holds.
func pruneOld(cacheDir, label, keep string, cutoff time.Time) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(label) + `-[0-9a-f]{16}$`)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, e := range entries {
		if !e.IsDir() || e.Name() == keep || !re.MatchString(e.Name()) {
			continue
		}
		old := filepath.Join(cacheDir, e.Name())
		if info, err := os.Stat(old); err != nil || info.ModTime().After(cutoff) {
			continue // recently used by some checkout: leave it
		}
		unlock, err := lockDir(cancelled, old, func() {})
		if err != nil {
			continue // being built or unreadable: leave it
		}
		_ = os.RemoveAll(old)
		unlock()
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// writeFiles replaces dir's contents with files.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Tail returns the last n lines of b.
func Tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// syncBuffer is a bytes.Buffer safe for go's stdout and stderr writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

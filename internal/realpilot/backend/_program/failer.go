package main

import (
	"fmt"
	"os"
	"sync"

	"istio.io/istio/pkg/test"
)

// exitPilotFailed is the exit code when Istio's fake reported a failure
// through the Failer (what would fail a unit test).
const exitPilotFailed = 3

var _ test.Failer = (*failer)(nil)

// failer stands in for *testing.T in Istio's test fakes. Fatal prints every
// recorded error on stderr and exits 3 (it may be called from any goroutine,
// and must not return); Fail only records, and main exits 3 after the run.
type failer struct {
	mu       sync.Mutex
	errs     []string
	cleanups []func()
	tmpDirs  []string
}

func (f *failer) record(msg string) {
	f.mu.Lock()
	f.errs = append(f.errs, msg)
	f.mu.Unlock()
}

// failed reports whether anything was recorded.
func (f *failer) failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errs) > 0
}

// exit prints the recorded errors and exits 3.
func (f *failer) exit() {
	f.mu.Lock()
	errs := append([]string(nil), f.errs...)
	dirs := append([]string(nil), f.tmpDirs...)
	f.mu.Unlock()
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, "pilot backend: istio test fake failed:", e)
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(exitPilotFailed)
}

func (f *failer) Fail()                             { f.record("Fail called") }
func (f *failer) FailNow()                          { f.record("FailNow called"); f.exit() }
func (f *failer) Fatal(args ...any)                 { f.record(fmt.Sprint(args...)); f.exit() }
func (f *failer) Fatalf(format string, args ...any) { f.record(fmt.Sprintf(format, args...)); f.exit() }
func (f *failer) Skip(args ...any)                  { f.record("Skip called: " + fmt.Sprint(args...)); f.exit() }
func (f *failer) Log(args ...any)                   { fmt.Fprintln(os.Stderr, args...) }
func (f *failer) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (f *failer) Helper()                           {}

// Cleanup records fn. A single run exits without running them (the fake's
// cleanups stop servers and goroutines that die with the process anyway);
// batch mode runs them after each World (cleanup).
func (f *failer) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}

// TempDir makes a directory that is removed when the program exits.
func (f *failer) TempDir() string {
	d, err := os.MkdirTemp("", "listenerlab-pilot-")
	if err != nil {
		f.Fatal(err)
	}
	f.mu.Lock()
	f.tmpDirs = append(f.tmpDirs, d)
	f.mu.Unlock()
	return d
}

// cleanup runs the recorded cleanups, newest first, and removes what
// TempDir made: batch mode stops each World's fake server before the next.
func (f *failer) cleanup() {
	f.mu.Lock()
	fns := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	f.removeTempDirs()
}

// removeTempDirs removes what TempDir made (on a successful run).
func (f *failer) removeTempDirs() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.tmpDirs {
		_ = os.RemoveAll(d)
	}
	f.tmpDirs = nil
}

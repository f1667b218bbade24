package controlplane

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWaitReadyReportsAnExitWithTheLogTail(t *testing.T) {
	dir := t.TempDir()
	p, err := start(dir, "crasher", "/bin/sh", []string{"-c", "echo starting; echo 'fatal: port in use' >&2; exit 3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(context.Background(), 10*time.Second, func(context.Context) error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "crasher exited") || !strings.Contains(err.Error(), "fatal: port in use") {
		t.Fatalf("want an exit error with the log's tail, got %v", err)
	}
}

func TestWaitReadyTimesOutAndStopEndsTheProcess(t *testing.T) {
	dir := t.TempDir()
	p, err := start(dir, "sleeper", "/bin/sh", []string{"-c", "echo sleeping; exec sleep 60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitReady(context.Background(), 500*time.Millisecond, func(context.Context) error { return errors.New("no answer") })
	if err == nil || !strings.Contains(err.Error(), "sleeper not ready") || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("want a timeout naming the process and the last check, got %v", err)
	}
	p.stop(5 * time.Second)
	if p.exited() == nil {
		t.Fatal("stop returned with the process still running")
	}
}

func TestSweepStaleRemovesFoldersOfDeadOwnersOnly(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name, pid string) string {
		d := filepath.Join(tmp, dirPrefix+name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if pid != "" {
			if err := os.WriteFile(filepath.Join(d, "owner.pid"), []byte(pid), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	dead := mk("dead", "999999999")
	alive := mk("alive", strconv.Itoa(os.Getppid()))
	kept := mk("kept", "")
	sweepStale()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("the folder of a dead owner was kept")
	}
	for _, d := range []string{alive, kept} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v", ports)
		}
		seen[p] = true
	}
}

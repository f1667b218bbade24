//go:build pilot

package fuzz

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// procCPU is the CPU time the checker's live backend processes have used
// so far (from /proc/PID/stat, in clock ticks of 1/100 s).
func procCPU(t testing.TB, chk *Checker) float64 {
	total := 0.0
	for _, pid := range chk.pilot.(*backend.Pool).PIDs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		total += (ut + st) / 100
	}
	return total
}

// cpuSeconds is the CPU time of this process and its ended children.
func cpuSeconds(t testing.TB) float64 {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		t.Fatal(err)
	}
	sec := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return sec(self.Utime) + sec(self.Stime) + sec(children.Utime) + sec(children.Stime)
}

// BenchmarkFuzzCase is one generated case checked end to end on the newest
// version (LISTENERLAB_BENCH_ISTIO=1.24 picks another): resolved,
// predicted, answered by the batch backend, compared.
// worlds/cpu-s counts the CPU time of the test and of the backend process
// (ended before the count), so it is worlds per second per core whatever
// the machine's load. Run with
// `go test -tags pilot -run '^$' -bench FuzzCase -benchtime 200x ./internal/realpilot/fuzz`.
func BenchmarkFuzzCase(b *testing.B) {
	v := versions.Newest()
	if label := os.Getenv("LISTENERLAB_BENCH_ISTIO"); label != "" {
		var err error
		if v, err = versions.Lookup(label); err != nil {
			b.Fatal(err)
		}
	}
	bin, err := backend.Build(context.Background(), v, backend.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// Start-up is paid once per env: warm one process per env first, end
	// them (their CPU time then counts in cpu0), and warm them again so
	// the timed part only pays for the Worlds.
	chk := NewChecker(v, bin)
	for i := uint64(0); i < 40; i++ {
		chk.check(context.Background(), scenariogen.Scenario(1_000_000+i))
	}
	chk.Close()
	chk = NewChecker(v, bin)
	for _, env := range scenariogen.EnvSets {
		w := &world.World{Format: world.Format, Scenario: "warm", Env: env,
			Client: world.Client{Name: "c", Namespace: "default", IPs: []string{"10.244.0.2"}}}
		if _, err := chk.pilot.Run(context.Background(), w); err != nil {
			b.Fatal(err)
		}
	}
	starts := procCPU(b, chk)
	runtime.GC()
	b.ResetTimer()
	cpu0, start := cpuSeconds(b)+starts, time.Now()
	for i := 0; i < b.N; i++ {
		chk.check(context.Background(), scenariogen.Scenario(uint64(i)))
	}
	b.StopTimer()
	chk.Close()
	cpu := cpuSeconds(b) - cpu0
	b.ReportMetric(float64(b.N)/cpu, "worlds/cpu-s")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "worlds/s")
}

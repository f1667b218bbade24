package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/testkit/gitopsgen"
)

// writeFolder writes a GitOps folder: services Services over 50 namespaces
// (HTTP, TCP and auto-detect ports, one file per namespace) and entries
// ServiceEntries (a quarter with an IP, a quarter with a CIDR, the rest
// without addresses, on TCP, TLS and HTTP ports).
func writeFolder(tb testing.TB, services, entries int) string {
	dir := tb.TempDir()
	files := map[string]*strings.Builder{}
	add := func(file, doc string) {
		b := files[file]
		if b == nil {
			b = &strings.Builder{}
			files[file] = b
		}
		b.WriteString("---\n")
		b.WriteString(doc)
	}
	names := []string{"http-web", "tcp-db", "api"}
	for i := 0; i < services; i++ {
		ns := fmt.Sprintf("ns-%d", i%50)
		add(ns+".yaml", fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: %s}\nspec:\n  selector: {app: svc-%d}\n  ports:\n  - {name: %s, port: %d}\n  - {name: tcp-metrics, port: 9100}\n",
			i, ns, i, names[i%3], 8000+i%40))
	}
	protocols := []string{"TCP", "TLS", "HTTP"}
	for i := 0; i < entries; i++ {
		addresses := ""
		switch i % 4 {
		case 0:
			addresses = fmt.Sprintf("  addresses: [172.16.%d.%d]\n", i/250, 1+i%250)
		case 1:
			addresses = fmt.Sprintf("  addresses: [172.%d.%d.0/24]\n", 20+i/62500, (i/250)%250)
		}
		add("external.yaml", fmt.Sprintf("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext-%d, namespace: egress}\nspec:\n  hosts: [ext-%d.example.com]\n%s  ports:\n  - {number: %d, name: p, protocol: %s}\n  resolution: DNS\n",
			i, i, addresses, 3000+i%20, protocols[i%3]))
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// BenchmarkAnalyze runs analyze on 5k Services and 2k ServiceEntries for
// one client: load, resolve, predict, locate and deduplicate.
func BenchmarkAnalyze(b *testing.B) {
	dir := writeFolder(b, 5000, 2000)
	client, err := ParseClient("ns-0/app=client")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Run([]string{dir}, WithClients(client))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.ReportMetric(float64(len(r.Findings)), "findings")
		}
	}
}

// BenchmarkAnalyzeRepo runs analyze on generated GitOps repositories of
// issue 14's shape (gitopsgen.Standard): 10, 100 and 1,000 namespaces, so
// 100, 1,000 and 10,000 Services, one Deployment per namespace and one
// ServiceEntry per five, every workload a client. Besides time and
// allocations it reports peak-heap-MB, the largest heap in use sampled
// every 10 ms during a run, and cpu-ms/op, the CPU time (user and system,
// all threads) a run used: on a machine whose cores other processes share,
// it grows with the work where ns/op also grows with the wait.
func BenchmarkAnalyzeRepo(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		shape := gitopsgen.Standard(n)
		services, entries, workloads := shape.Counts()
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) {
			dir := b.TempDir()
			if err := gitopsgen.Write(dir, shape); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			peak := sampleHeap()
			cpu := processCPU()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := Run([]string{dir})
				if err != nil {
					b.Fatal(err)
				}
				if r.Sidecars != workloads {
					b.Fatalf("%d sidecars, want %d", r.Sidecars, workloads)
				}
				if i == 0 {
					b.ReportMetric(float64(len(r.Findings)), "findings")
					b.ReportMetric(float64(entries), "serviceentries")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64((processCPU()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// sampleHeap samples the heap in use until the returned function is
// called, which returns the largest value seen.
func sampleHeap() func() uint64 {
	var mu sync.Mutex
	var max uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	read := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		mu.Lock()
		if m.HeapInuse > max {
			max = m.HeapInuse
		}
		mu.Unlock()
	}
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		read()
		mu.Lock()
		defer mu.Unlock()
		return max
	}
}

// Command gitopsgen writes a generated GitOps repository (package
// gitopsgen) into a folder, for running and profiling listenerlab analyze
// by hand: gitopsgen [-namespaces N] [-services-per-namespace K]
// [-service-entries E] [-without-workload-every W] DIR.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/listenerlab/listenerlab/internal/testkit/gitopsgen"
)

func main() {
	var s gitopsgen.Shape
	flag.IntVar(&s.Namespaces, "namespaces", 1000, "namespaces, each with one Deployment")
	flag.IntVar(&s.ServicesPerNamespace, "services-per-namespace", 10, "Services per namespace")
	flag.IntVar(&s.ServiceEntries, "service-entries", 0, "address-less TCP ServiceEntries (0: one per five namespaces, negative: none)")
	flag.IntVar(&s.WithoutWorkloadEvery, "without-workload-every", 0, "leave every k-th namespace without a Deployment (0: none)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gitopsgen [flags] DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := gitopsgen.Write(dir, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	services, entries, workloads := s.Counts()
	fmt.Printf("%s: %d namespaces, %d Services, %d ServiceEntries, %d workloads\n", dir, s.Namespaces, services, entries, workloads)
}

// Command worldgen prints the scenario listenerlab fuzz generates from a
// seed, unshrunk: go run ./internal/testkit/worldgen/cmd/worldgen -seed N.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/listenerlab/listenerlab/internal/testkit/worldgen"
)

func main() {
	seed := flag.Uint64("seed", 0, "the case's seed")
	flag.Parse()
	y, err := worldgen.Scenario(*seed).YAML(fmt.Sprintf("fuzz-%d", *seed), fmt.Sprintf("worldgen -seed %d", *seed))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worldgen:", err)
		os.Exit(1)
	}
	os.Stdout.Write(y)
}

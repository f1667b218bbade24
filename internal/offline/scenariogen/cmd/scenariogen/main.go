// Command scenariogen prints the scenario listenerlab fuzz generates from a
// seed, unshrunk: go run ./internal/offline/scenariogen/cmd/scenariogen -seed N.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
)

func main() {
	seed := flag.Uint64("seed", 0, "the case's seed")
	flag.Parse()
	y, err := scenariogen.Scenario(*seed).YAML(fmt.Sprintf("fuzz-%d", *seed), fmt.Sprintf("scenariogen -seed %d", *seed))
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenariogen:", err)
		os.Exit(1)
	}
	os.Stdout.Write(y)
}

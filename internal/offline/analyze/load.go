package analyze

import (
	"os"
	"runtime"
	"sync"

	"github.com/listenerlab/listenerlab/scenario"
)

// loadManifests is scenario.LoadAllManifests with the files parsed in
// parallel, one worker per CPU: the same scenarios and errors in the same
// order. Parsing YAML is most of what analyze does on a large repository.
func loadManifests(paths []string) ([]*scenario.Scenario, []error) {
	files, err := scenario.Expand(paths)
	if err != nil {
		return nil, []error{err}
	}
	type result struct {
		sc  *scenario.Scenario
		err error
	}
	results := make([]result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := os.ReadFile(files[i])
				if err != nil {
					results[i].err = &scenario.Error{File: files[i], Err: err}
					continue
				}
				results[i].sc, results[i].err = scenario.ParseManifests(files[i], data)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var good []*scenario.Scenario
	var bad []error
	for _, r := range results {
		if r.err != nil {
			bad = append(bad, r.err)
			continue
		}
		good = append(good, r.sc)
	}
	return good, bad
}

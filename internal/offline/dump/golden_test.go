package dump

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/listenerlab/listenerlab/listener"
)

// TestGolden parses every dump in testdata/*.json and compares what it reads
// with testdata/<name>.golden. Rewrite the golden files with
// go test ./dump -run TestGolden -update.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.json")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse(%s): %v", file, err)
			}
			got, err := json.MarshalIndent(struct {
				Dump     *Dump               `json:"dump"`
				Outbound []listener.Listener `json:"outbound"`
			}{d, d.Outbound()}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, string(got)+"\n", name+".golden")
		})
	}
}

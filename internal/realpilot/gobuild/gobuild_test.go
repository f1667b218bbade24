package gobuild

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPruneOldKeepsRecentlyUsed checks that a build of the same label that
// another checkout used recently survives, and an old one goes.
func TestPruneOldKeepsRecentlyUsed(t *testing.T) {
	cache := t.TempDir()
	mk := func(name string, used time.Time) string {
		dir := filepath.Join(cache, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dir, used, used); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	now := time.Now()
	keep := mk("1.26-0000000000000001", now)
	recent := mk("1.26-0000000000000002", now.Add(-time.Hour))
	old := mk("1.26-0000000000000003", now.Add(-48*time.Hour))
	otherLabel := mk("1.27-0000000000000004", now.Add(-48*time.Hour))

	pruneOld(cache, "1.26", filepath.Base(keep), now.Add(-PruneUnusedFor))

	for _, tc := range []struct {
		dir  string
		want bool
	}{{keep, true}, {recent, true}, {old, false}, {otherLabel, true}} {
		_, err := os.Stat(tc.dir)
		if got := err == nil; got != tc.want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(tc.dir), got, tc.want)
		}
	}
}

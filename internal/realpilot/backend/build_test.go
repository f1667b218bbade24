package backend

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// fakeGo is a stand-in for the go command: `env GOVERSION` prints a version,
// `build ... -o OUT` writes OUT after $FAKE_GO_SLEEP seconds and appends a
// line to $FAKE_GO_COUNT, or prints 40 lines and fails when $FAKE_GO_FAIL is
// set.
const fakeGo = `#!/bin/sh
case "$1" in
env) echo go1.99-fake ;;
build)
  while [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then out="$2"; fi; shift; done
  if [ -n "$FAKE_GO_FAIL" ]; then
    i=1; while [ $i -le 40 ]; do echo "go output line $i"; i=$((i+1)); done
    exit 1
  fi
  sleep "${FAKE_GO_SLEEP:-0}"
  [ -n "$FAKE_GO_COUNT" ] && echo built >> "$FAKE_GO_COUNT"
  echo '#!/bin/sh' > "$out"; chmod +x "$out" ;;
*) echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func testVersion(t *testing.T) versions.Version {
	t.Helper()
	v, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestModuleFiles(t *testing.T) {
	files, err := moduleFiles(testVersion(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "go.sum", "main.go", "version_gen.go"} {
		if len(files[want]) == 0 {
			t.Errorf("module files lack %s; have %v", want, slicesKeys(files))
		}
	}
	for name := range files {
		if strings.HasSuffix(name, "_test.go") {
			t.Errorf("module files include test file %s", name)
		}
	}
	if !strings.Contains(string(files["version_gen.go"]), `"1.31.0"`) {
		t.Errorf("version_gen.go does not set 1.31.0:\n%s", files["version_gen.go"])
	}
}

func slicesKeys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCacheKeyChangesWithEveryInput(t *testing.T) {
	files, err := moduleFiles(testVersion(t))
	if err != nil {
		t.Fatal(err)
	}
	base := gobuild.Key(files, "istio_1_31", "go1.26.8")
	if again := gobuild.Key(maps.Clone(files), "istio_1_31", "go1.26.8"); again != base {
		t.Fatalf("cache key not stable: %s then %s", base, again)
	}
	for _, name := range []string{"go.mod", "go.sum", "main.go", "version_gen.go"} {
		changed := maps.Clone(files)
		changed[name] = append(append([]byte(nil), files[name]...), '\n')
		if got := gobuild.Key(changed, "istio_1_31", "go1.26.8"); got == base {
			t.Errorf("cache key did not change when %s changed", name)
		}
	}
	if got := gobuild.Key(files, "istio_1_30", "go1.26.8"); got == base {
		t.Error("cache key did not change with the build tags")
	}
	if got := gobuild.Key(files, "istio_1_31", "go1.26.9"); got == base {
		t.Error("cache key did not change with the Go version")
	}
}

func TestModuleFilesRefusesMismatchedCatalog(t *testing.T) {
	v := testVersion(t)
	v.Module = "v0.0.0-20000101000000-000000000000"
	_, err := moduleFiles(v)
	if err == nil || !strings.Contains(err.Error(), "does not require istio.io/istio") {
		t.Fatalf("want a mismatch error, got %v", err)
	}
}

func TestBuildMissingModule(t *testing.T) {
	_, err := Build(context.Background(), versions.Version{Label: "0.99", Module: "v0", Minor: 99},
		BuildOptions{CacheDir: t.TempDir(), Go: writeScript(t, t.TempDir(), "go", fakeGo)})
	if err == nil || !strings.Contains(err.Error(), "Istio 0.99") || !strings.Contains(err.Error(), "0.99.mod") {
		t.Fatalf("want an error naming the version and its missing module file, got %v", err)
	}
}

func TestBuildCachesAndReportsProgress(t *testing.T) {
	tmp := t.TempDir()
	goCmd := writeScript(t, tmp, "go", fakeGo)
	count := filepath.Join(tmp, "count")
	t.Setenv("FAKE_GO_COUNT", count)
	t.Setenv("FAKE_GO_SLEEP", "1")
	var progress strings.Builder
	opts := BuildOptions{CacheDir: filepath.Join(tmp, "cache"), Go: goCmd, Progress: &progress, ProgressInterval: 200 * time.Millisecond}
	bin, err := Build(context.Background(), testVersion(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(filepath.Dir(bin)), "1.31-dev-") || filepath.Base(bin) != BinaryName {
		t.Errorf("binary path %s is not CACHE/1.31-dev-HASH/%s", bin, BinaryName)
	}
	out := progress.String()
	for _, want := range []string{"1.31-dev: building", "still building", "built in"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	again, err := Build(context.Background(), testVersion(t), opts)
	if err != nil || again != bin {
		t.Fatalf("second build: %s, %v; want %s", again, err, bin)
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "built") != 1 {
		t.Errorf("go build ran %d times, want once", strings.Count(string(b), "built"))
	}
}

func TestBuildOncePerCacheFolderAtATime(t *testing.T) {
	tmp := t.TempDir()
	goCmd := writeScript(t, tmp, "go", fakeGo)
	count := filepath.Join(tmp, "count")
	t.Setenv("FAKE_GO_COUNT", count)
	t.Setenv("FAKE_GO_SLEEP", "1")
	opts := BuildOptions{CacheDir: filepath.Join(tmp, "cache"), Go: goCmd}
	var wg sync.WaitGroup
	paths := make([]string, 3)
	errs := make([]error, 3)
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths[i], errs[i] = Build(context.Background(), testVersion(t), opts)
		}()
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Fatalf("build %d: %s, %v; want %s", i, paths[i], errs[i], paths[0])
		}
	}
	if b, _ := os.ReadFile(count); strings.Count(string(b), "built") != 1 {
		t.Errorf("go build ran %d times, want once", strings.Count(string(b), "built"))
	}
}

func TestBuildFailureNamesVersionAndTail(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("FAKE_GO_FAIL", "1")
	_, err := Build(context.Background(), testVersion(t),
		BuildOptions{CacheDir: filepath.Join(tmp, "cache"), Go: writeScript(t, tmp, "go", fakeGo)})
	if err == nil {
		t.Fatal("want an error")
	}
	var be *BuildError
	if !errors.As(err, &be) || be.Version != "1.31-dev" || !strings.HasSuffix(be.Output, "go output line 40") {
		t.Errorf("want a *BuildError with go's output, got %#v", err)
	}
	msg := err.Error()
	for _, want := range []string{"Istio 1.31-dev", "go output line 11\n", "go output line 40"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "go output line 10\n") {
		t.Errorf("error shows more than the last %d lines:\n%s", tailLines, msg)
	}
}

func TestCacheRootOverride(t *testing.T) {
	t.Setenv("LISTENERLAB_CACHE", "/some/where")
	if got, err := CacheRoot(); err != nil || got != "/some/where" {
		t.Fatalf("CacheRoot() = %q, %v", got, err)
	}
}

func TestBuildPrunesEarlierBuildsOfTheSameVersion(t *testing.T) {
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	old := filepath.Join(cache, "1.31-dev-00000000000000aa")
	recent := filepath.Join(cache, "1.31-dev-00000000000000bb")
	other := filepath.Join(cache, "1.26-00000000000000aa")
	longAgo := time.Now().Add(-2 * gobuild.PruneUnusedFor)
	for _, d := range []string{old, recent, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if d != recent {
			if err := os.Chtimes(d, longAgo, longAgo); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Build(context.Background(), testVersion(t), BuildOptions{CacheDir: cache, Go: writeScript(t, tmp, "go", fakeGo)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("earlier 1.31-dev build %s, unused for two days, was kept", old)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a 1.31-dev build another checkout used recently was removed: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another version's build was removed: %v", err)
	}
}

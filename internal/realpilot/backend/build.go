package backend

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// The backend program's sources and every version's module files. The
// program's directory starts with "_" so that the main module ignores it;
// embed patterns that name its files explicitly still include them.
//
//go:embed _program/*.go modules/*
var sources embed.FS

// BinaryName is the file name of a built backend inside its cache folder.
const BinaryName = "pilotbackend"

// DefaultProgressInterval is how often Build reports that it is still
// building.
const DefaultProgressInterval = gobuild.DefaultProgressInterval

// tailLines is how many lines of go's output a build error shows.
const tailLines = gobuild.TailLines

// BuildOptions tunes Build. The zero value is ready to use.
type BuildOptions struct {
	// Progress receives progress lines while a build runs (start, a line
	// every ProgressInterval, done). Nil discards them.
	Progress io.Writer
	// ProgressInterval defaults to DefaultProgressInterval.
	ProgressInterval time.Duration
	// CacheDir is the folder that holds one subfolder per built backend.
	// Empty means CacheRoot()/pilot.
	CacheDir string
	// Go is the go command. Empty means "go" from PATH.
	Go string
	// Nice, when above zero and `nice` is on PATH, runs the build at that
	// niceness so that a cold build (minutes of both cores) leaves the
	// machine usable.
	Nice int
}

// CacheRoot is where listenerlab keeps built artifacts: $LISTENERLAB_CACHE
// when set, else the user cache folder's "listenerlab".
func CacheRoot() (string, error) { return gobuild.CacheRoot() }

// ProxyVersion is the ISTIO_VERSION the backend of v gives the client proxy:
// the release tag when v has one, else 1.MINOR.0.
func ProxyVersion(v versions.Version) string {
	if v.Image != "" {
		return v.Image
	}
	return fmt.Sprintf("1.%d.0", v.Minor)
}

// buildTags are the go build tags passed for v: istio_1_NN names the minor,
// for the rare API difference between versions (see _program).
func buildTags(v versions.Version) string {
	return fmt.Sprintf("istio_1_%d", v.Minor)
}

// moduleFiles returns the files of v's backend module: the program sources,
// the generated version file, go.mod and go.sum, keyed by file name.
func moduleFiles(v versions.Version) (map[string][]byte, error) {
	mod, sum, where, err := moduleSource(v)
	if err != nil {
		return nil, err
	}
	if !requiresIstio(mod, v.Module) {
		return nil, fmt.Errorf("%s does not require istio.io/istio %s, the version the catalog names for Istio %s",
			where, v.Module, v.Label)
	}
	files, err := ProgramFiles()
	if err != nil {
		return nil, err
	}
	files["go.mod"], files["go.sum"] = mod, sum
	files["version_gen.go"] = versionFile(ProxyVersion(v))
	if v.Tree != nil {
		files[treeIdentityFile] = treeIdentity(v.Tree)
	}
	return files, nil
}

// requiresIstio reports whether a go.mod requires istio.io/istio at version.
func requiresIstio(mod []byte, version string) bool {
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == "istio.io/istio" && f[1] == version {
			return true
		}
	}
	return false
}

// Build returns the path of the pilot backend binary for v, building it
// first when the cache has none for the current sources, module files and
// Go version. The build runs at most once at a time per cache folder, across
// processes; a cold build downloads and compiles Istio and takes minutes, so
// Build reports progress to opts.Progress. A failed build returns a
// *BuildError naming the version and the last lines of go's output.
func Build(ctx context.Context, v versions.Version, opts BuildOptions) (string, error) {
	files, cacheDir, err := prepare(v, opts, "pilot")
	if err != nil {
		return "", err
	}
	tags := buildTags(v)
	bin, err := gobuild.Build(ctx, cacheDir, gobuild.Program{
		What:    "pilot backend " + v.Label,
		Label:   FileLabel(v),
		Files:   files,
		Package: ".",
		Binary:  BinaryName,
		Flags:   []string{"-tags", tags, "-ldflags", "-s -w"},
		Variant: tags,
		Expect:  "a first build downloads and compiles istio.io/istio " + v.Module + ": 5-10 minutes",
		// A backend answers a World in well under a second.
		Unoptimized: true,
	}, opts.gobuild())
	var ge *gobuild.Error
	if errors.As(err, &ge) {
		return "", &BuildError{Version: v.Label, Module: v.Module, Elapsed: ge.Elapsed, Log: ge.Log, Output: ge.Output, Err: ge.Err}
	}
	return bin, err
}

// cacheLabel is v's label as a cache folder prefix: a source tree's
// label is a path, whose separators become "_".
func FileLabel(v versions.Version) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, v.Label)
}

// prepare reads v's module files and picks the cache folder
// (opts.CacheDir, else CacheRoot()/sub).
func prepare(v versions.Version, opts BuildOptions, sub string) (map[string][]byte, string, error) {
	files, err := moduleFiles(v)
	if err != nil {
		return nil, "", err
	}
	if opts.CacheDir != "" {
		return files, opts.CacheDir, nil
	}
	root, err := CacheRoot()
	if err != nil {
		return nil, "", err
	}
	return files, filepath.Join(root, sub), nil
}

func (o BuildOptions) gobuild() gobuild.Options {
	return gobuild.Options{Progress: o.Progress, ProgressInterval: o.ProgressInterval, Go: o.Go, Nice: o.Nice}
}

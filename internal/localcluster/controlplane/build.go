package controlplane

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
)

// The program built from source: its main (a folder starting with "_",
// which the main module ignores) and its go.mod and go.sum, kept as
// modules/kube.mod and .sum because a go.mod would make a folder a module
// of its own. Refresh them with scripts/controlplane-modules.sh.
//
//go:embed _kube/main.go modules
var modules embed.FS

// KubernetesVersion is the k8s.io/kubernetes release the API server and
// controller manager are built from.
const KubernetesVersion = "v1.34.2"

// BuildOptions tunes the builds; the zero value is ready to use.
type BuildOptions struct {
	// Progress receives progress lines of cold builds.
	Progress io.Writer
	// CacheDir holds the built binaries; empty means
	// gobuild.CacheRoot()/controlplane.
	CacheDir string
	// Nice runs builds at this niceness (see gobuild.Options).
	Nice int
}

// BuildKubernetes returns the path of one binary that runs etcd,
// kube-apiserver or kube-controller-manager (its first argument says
// which), built from k8s.io/kubernetes KubernetesVersion and the etcd
// server release it pins: about 15 minutes and 2 GB of memory on 2 cores
// the first time, cached after.
func BuildKubernetes(ctx context.Context, o BuildOptions) (string, error) {
	return build(ctx, o, "kube", "kubernetes", "etcd, kube-apiserver and kube-controller-manager (k8s.io/kubernetes "+KubernetesVersion+")", "a first build takes about 15 minutes on 2 cores")
}

func build(ctx context.Context, o BuildOptions, mod, name, what, expect string) (string, error) {
	files := map[string][]byte{}
	for file, embedded := range map[string]string{"main.go": "_" + mod + "/main.go", "go.mod": "modules/" + mod + ".mod", "go.sum": "modules/" + mod + ".sum"} {
		b, err := fs.ReadFile(modules, embedded)
		if err != nil {
			return "", fmt.Errorf("reading the module of %s: %w", what, err)
		}
		files[file] = b
	}
	cache := o.CacheDir
	if cache == "" {
		root, err := gobuild.CacheRoot()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(root, "controlplane")
	}
	return gobuild.Build(ctx, cache, gobuild.Program{What: what, Label: name, Files: files, Package: ".", Binary: name,
		Flags: []string{"-ldflags", "-s -w"}, Variant: "-s -w", Expect: expect},
		gobuild.Options{Progress: o.Progress, Nice: o.Nice})
}

// EtcdFromEnv returns $ETCD, an etcd binary to use instead of the one
// built into the Kubernetes binary, or "" when it is not set.
func EtcdFromEnv() (string, error) {
	p := os.Getenv("ETCD")
	if p == "" {
		return "", nil
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("ETCD=%s: %w", p, err)
	}
	return p, nil
}

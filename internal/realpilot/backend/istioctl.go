package backend

import (
	"context"
	"fmt"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// IstioctlPackage is istioctl's main package inside istio.io/istio.
const IstioctlPackage = "istio.io/istio/istioctl/cmd/istioctl"

// IstioctlLdflags stamp the release into istioctl's version package so
// that `istioctl version` names it (a plain module build says "unknown").
func IstioctlLdflags(v versions.Version) string {
	return fmt.Sprintf("-s -w -X istio.io/istio/pkg/version.buildVersion=%s -X istio.io/istio/pkg/version.buildTag=%s -X istio.io/istio/pkg/version.buildStatus=Clean",
		ProxyVersion(v), ProxyVersion(v))
}

// BuildIstioctl returns the path of istioctl of exactly Istio v, built
// from the same per-version module as the pilot backend (internal/realpilot/backend/modules/
// LABEL.mod and .sum, so go.sum pins its source) and cached beside the
// backends.
func BuildIstioctl(ctx context.Context, v versions.Version, opts BuildOptions) (string, error) {
	return buildCommand(ctx, v, opts, "istioctl", IstioctlPackage, "about 90 s with a warm module cache, minutes cold")
}

// IstiodPackage is istiod's main package (pilot-discovery) inside
// istio.io/istio.
const IstiodPackage = "istio.io/istio/pilot/cmd/pilot-discovery"

// BuildIstiod returns the path of istiod (pilot-discovery) of exactly Istio
// v, built like BuildIstioctl: the real control plane that the local e2e
// provider runs as a process.
func BuildIstiod(ctx context.Context, v versions.Version, opts BuildOptions) (string, error) {
	return buildCommand(ctx, v, opts, "istiod", IstiodPackage, "about a minute once the pilot backend of this version is built, minutes cold")
}

// buildCommand builds one of Istio's commands from v's module, stamped
// with the release. GOFLAGS=-mod=mod lets go add the checksums of the few
// packages the command needs and the backend does not; they are verified
// against the checksum database like any download.
func buildCommand(ctx context.Context, v versions.Version, opts BuildOptions, name, pkg, expect string) (string, error) {
	files, cacheDir, err := prepare(v, opts, name)
	if err != nil {
		return "", err
	}
	ldflags := IstioctlLdflags(v)
	return gobuild.Build(ctx, cacheDir, gobuild.Program{
		What:    fmt.Sprintf("%s %s (%s@%s)", name, v.Label, pkg, v.Module),
		Label:   FileLabel(v),
		Files:   files,
		Package: pkg,
		Binary:  name,
		Flags:   []string{"-ldflags", ldflags},
		Env:     []string{"GOFLAGS=-mod=mod"},
		Variant: ldflags,
		Expect:  expect,
		// Like the backend's, so that the command reuses its compiled
		// packages.
		Unoptimized: true,
	}, opts.gobuild())
}

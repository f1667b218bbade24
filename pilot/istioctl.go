package pilot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/listenerlab/listenerlab/versions"
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
// from the same per-version module as the pilot backend (pilot/modules/
// LABEL.mod and .sum, so go.sum pins its source) and cached beside the
// backends. GOFLAGS=-mod=mod lets go add the checksums of the few
// packages istioctl needs and the backend does not; they are verified
// against the checksum database like any download.
func BuildIstioctl(ctx context.Context, v versions.Version, opts BuildOptions) (string, error) {
	st, err := newSetup(ctx, v, opts, "istioctl", "istioctl "+v.Label)
	if err != nil {
		return "", err
	}
	progress, files, gover, cacheDir := st.progress, st.files, st.gover, st.cacheDir
	ldflags := IstioctlLdflags(v)
	dir := filepath.Join(cacheDir, v.Label+"-"+cacheKey(files, ldflags, gover))
	bin := filepath.Join(dir, "istioctl")
	if isFile(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockDir(ctx, dir, func() {
		fmt.Fprintf(progress, "istioctl %s: waiting for another process that is building it in %s\n", v.Label, dir)
	})
	if err != nil {
		return "", fmt.Errorf("building istioctl %s: %w", v.Label, err)
	}
	defer unlock()
	if isFile(bin) {
		return bin, nil
	}
	src := filepath.Join(dir, "src")
	if err := writeFiles(src, files); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	cmd := st.goCommand(ctx, opts.Nice, src, "build", "-ldflags", ldflags, "-o", tmp, IstioctlPackage)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Fprintf(progress, "istioctl %s: building %s@%s with %s (about 90 s with a warm module cache, minutes cold)\n", v.Label, IstioctlPackage, v.Module, gover)
	start := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(start).Round(time.Second)
	logFile := filepath.Join(dir, "build.log")
	_ = os.WriteFile(logFile, out.Bytes(), 0o644)
	if runErr != nil {
		_ = os.Remove(tmp)
		if ctx.Err() != nil {
			runErr = fmt.Errorf("%w (%v)", ctx.Err(), runErr)
		}
		return "", fmt.Errorf("building istioctl for Istio %s (istio.io/istio %s) failed after %s: %w; last lines of go's output (all in %s):\n%s",
			v.Label, v.Module, elapsed, runErr, logFile, tail(out.Bytes(), tailLines))
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "istioctl %s: built in %s: %s\n", v.Label, elapsed, bin)
	return bin, nil
}

package kindcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrDockerMissing and ErrDockerDown are the two ways the container engine
// kind needs can be missing.
var (
	ErrDockerMissing = errors.New("docker is not on PATH: make e2e creates a kind cluster and needs Docker (or Podman with KIND_EXPERIMENTAL_PROVIDER=podman); to use an existing cluster instead, pass KUBECONTEXT")
	ErrDockerDown    = errors.New("docker is installed but its daemon does not answer: start Docker Desktop or the docker service, then run make e2e again")
)

// Engine is the container engine command kind will use.
func Engine() string {
	if p := os.Getenv("KIND_EXPERIMENTAL_PROVIDER"); p == "podman" || p == "nerdctl" {
		return p
	}
	return "docker"
}

// CheckEngine makes sure the container engine is installed and answers,
// within timeout, before anything is created.
func CheckEngine(ctx context.Context, timeout time.Duration) error {
	engine := Engine()
	path, err := exec.LookPath(engine)
	if err != nil {
		if engine == "docker" {
			return ErrDockerMissing
		}
		return fmt.Errorf("%s is not on PATH (KIND_EXPERIMENTAL_PROVIDER=%s)", engine, engine)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "info", "--format", "{{.ServerVersion}}")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		detail := strings.TrimSpace(out.String())
		if ctx.Err() != nil {
			detail = fmt.Sprintf("no answer within %s", timeout)
		}
		if engine == "docker" {
			return fmt.Errorf("%w (%s info: %s)", ErrDockerDown, engine, detail)
		}
		return fmt.Errorf("%s does not answer: %s", engine, detail)
	}
	return nil
}

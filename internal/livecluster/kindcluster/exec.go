package kindcluster

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// ExecError is a command that failed in a container, with its output.
type ExecError struct {
	Namespace, Pod, Container string
	Command                   []string
	Stderr                    string
	Err                       error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("exec %q in %s/%s container %s: %v: %s", e.Command, e.Namespace, e.Pod, e.Container, e.Err, strings.TrimSpace(e.Stderr))
}

func (e *ExecError) Unwrap() error { return e.Err }

// Exec runs an argument vector in a container (no shell) and returns its
// standard output.
func Exec(ctx context.Context, rc *rest.Config, cs kubernetes.Interface, namespace, pod, container string, command []string) ([]byte, error) {
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: command, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(rc, "POST", req.URL())
	if err != nil {
		return nil, err
	}
	exec := spdy
	if ws, err := remotecommand.NewWebSocketExecutor(rc, "GET", req.URL().String()); err == nil {
		exec, _ = remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool { return true })
	}
	var stdout, stderr bytes.Buffer
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		return stdout.Bytes(), &ExecError{Namespace: namespace, Pod: pod, Container: container, Command: command, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

package kindcluster

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RefusedContextError is a kubeconfig context the suite will not deploy
// test fixtures into.
type RefusedContextError struct {
	Context, Server, Reason string
}

func (e *RefusedContextError) Error() string {
	return fmt.Sprintf("refusing to deploy test scenarios into kubeconfig context %q (server %s): %s; "+
		"if this is really the cluster to use, name it explicitly: make e2e KUBECONTEXT=%s E2E_ALLOW_CONTEXT=%s",
		e.Context, e.Server, e.Reason, e.Context, e.Context)
}

// CheckContext decides whether the suite may use a context of a
// kubeconfig: a kind cluster (context "kind-NAME" whose API server is on
// this machine's loopback), or any context named exactly by allow.
// Nothing else: not the current context by default, not a pattern.
func CheckContext(cfg *clientcmdapi.Config, context, allow string) error {
	if context == "" {
		context = cfg.CurrentContext
	}
	ctx, ok := cfg.Contexts[context]
	if !ok {
		return &RefusedContextError{Context: context, Server: "?", Reason: "the kubeconfig has no such context"}
	}
	server := "?"
	if c, ok := cfg.Clusters[ctx.Cluster]; ok {
		server = c.Server
	}
	if allow != "" && allow == context {
		return nil
	}
	if !strings.HasPrefix(context, "kind-") {
		return &RefusedContextError{Context: context, Server: server, Reason: "it is not a kind context (kind names its contexts kind-NAME)"}
	}
	if !loopback(server) {
		return &RefusedContextError{Context: context, Server: server, Reason: "its API server is not on this machine's loopback, where kind publishes it"}
	}
	return nil
}

func loopback(server string) bool {
	u, err := url.Parse(server)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package capture

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
)

// ContextError is a kubeconfig context that does not exist.
type ContextError struct {
	// Kubeconfig names the files read.
	Kubeconfig string
	Context    string
	// Known are the contexts the kubeconfig has.
	Known []string
}

func (e *ContextError) Error() string {
	known := "none"
	if len(e.Known) > 0 {
		known = strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("kubeconfig %s has no context %q (contexts: %s)", e.Kubeconfig, e.Context, known)
}

// WriteRefusedError is a request capture refused to send: it only reads.
type WriteRefusedError struct {
	Method, URL string
}

func (e *WriteRefusedError) Error() string {
	return fmt.Sprintf("capture is read-only: refused %s %s", e.Method, e.URL)
}

// Connect builds the API clients for one context of a kubeconfig (the
// default loading rules, $KUBECONFIG then ~/.kube/config, when kubeconfig
// is empty). The context must be named: capture never falls back to the
// current context, as cluster.CheckContext does not. Unlike the kind
// suite's guard, any existing context is accepted, since capture cannot
// write: every request other than a GET, and every exec, attach,
// port-forward or proxy request, is refused before it leaves the process.
func Connect(kubeconfig, context string) (livestate.Clients, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := strings.Join(rules.GetLoadingPrecedence(), ":")
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
		where = kubeconfig
	}
	raw, err := rules.Load()
	if err != nil {
		return livestate.Clients{}, fmt.Errorf("reading kubeconfig %s: %w", where, err)
	}
	if _, ok := raw.Contexts[context]; !ok || context == "" {
		known := make([]string, 0, len(raw.Contexts))
		for name := range raw.Contexts {
			known = append(known, name)
		}
		sort.Strings(known)
		return livestate.Clients{}, &ContextError{Kubeconfig: where, Context: context, Known: known}
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return livestate.Clients{}, fmt.Errorf("kubeconfig context %s: %w", context, err)
	}
	return clientsFor(rc)
}

// ReadOnlyClients are the API clients Connect builds, for a client config
// at hand (the e2e suite's capture round trip): the same rate limits, and
// every request but a plain GET refused before it leaves the process.
func ReadOnlyClients(rc *rest.Config) (livestate.Clients, error) {
	return clientsFor(rc)
}

func clientsFor(rc *rest.Config) (livestate.Clients, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "listenerlab-capture"
	// livestate.Read lists seven kinds per namespace: the default 5 QPS
	// would take minutes on a cluster with a few hundred namespaces.
	rc.QPS, rc.Burst = 50, 100
	rc.Timeout = 30 * time.Second
	rc.Wrap(func(next http.RoundTripper) http.RoundTripper { return readOnly{next} })
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return livestate.Clients{}, err
	}
	ic, err := istioclient.NewForConfig(rc)
	if err != nil {
		return livestate.Clients{}, err
	}
	return livestate.Clients{Kube: kube, Istio: ic}, nil
}

// streaming matches the subresources that run something in the cluster or
// reach through it, GET or not (exec and attach upgrade a GET).
var streaming = regexp.MustCompile(`/(pods|services|nodes)/[^/]+/(exec|attach|portforward|proxy)(/|$)`)

// readOnly refuses every request that could change the cluster or run
// something in it.
type readOnly struct{ next http.RoundTripper }

func (r readOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead || streaming.MatchString(req.URL.Path) || req.Header.Get("Upgrade") != "" {
		return nil, &WriteRefusedError{Method: req.Method, URL: req.URL.String()}
	}
	return r.next.RoundTrip(req)
}

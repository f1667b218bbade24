package istiod

import "github.com/listenerlab/listenerlab/internal/clusterdefaults"

// Containers the commands run in.
const (
	// ProxyContainer is the injected sidecar's container.
	ProxyContainer = "istio-proxy"
	// DiscoveryContainer is istiod's container.
	DiscoveryContainer = "discovery"
)

// Namespace and labels of istiod.
const (
	Namespace = clusterdefaults.IstioNamespace
	Selector  = "app=istiod"
)

// ConfigDumpCommand fetches the sidecar's Envoy config dump through
// pilot-agent in the istio-proxy container (the admin port listens on
// localhost only). Commands are argument vectors for an exec into the
// container, never a shell line.
func ConfigDumpCommand() []string {
	return []string{"pilot-agent", "request", "GET", "config_dump"}
}

// DebugCommand fetches one of istiod's debug endpoints (or /metrics)
// through pilot-discovery in istiod's container.
func DebugCommand(path string) []string {
	return []string{"pilot-discovery", "request", "GET", path}
}

// Paths of istiod's endpoints the suite reads.
const (
	SynczPath      = "/debug/syncz"
	PushStatusPath = "/debug/push_status"
	RegistryzPath  = "/debug/registryz"
	ConfigzPath    = "/debug/configz"
	// EndpointShardzPath is istiod's endpoint index: every service's
	// endpoints by registry shard.
	EndpointShardzPath = "/debug/endpointShardz"
	MetricsPath        = "/metrics"
)

// ProxyID is the ID istiod gives a sidecar: POD.NAMESPACE.
func ProxyID(pod, namespace string) string { return pod + "." + namespace }

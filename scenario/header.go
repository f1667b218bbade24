package scenario

// Header is the scenario's own document, decoded strictly (unknown fields are
// errors). Everything else in the file is a manifest that `kubectl apply -f`
// accepts unchanged.
type Header struct {
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Reference is where the behaviour was reported, e.g. an issue URL.
	Reference string `json:"reference,omitempty"`
	// Versions limits the Istio versions the scenario applies to, e.g.
	// ">=1.31" for a field older versions do not have; empty means all.
	Versions string `json:"versions,omitempty"`
	// Client is the workload whose sidecar is checked.
	Client Client `json:"client,omitempty"`
	// Istiod holds istiod settings: feature flags as environment values.
	Istiod Istiod `json:"istiod,omitempty"`
	// MeshConfig holds mesh config values in MeshConfig's YAML shape,
	// checked strictly (meshconfig.Check) and kept in its JSON form.
	MeshConfig map[string]any `json:"meshConfig,omitempty"`
	// CreationOrder lists objects ("Kind/namespace/name" or "Kind/name")
	// that must be created one after another, each a second after the
	// previous one, oldest first. Unlisted objects are created together
	// before them, as one `kubectl apply` would.
	CreationOrder []string `json:"creationOrder,omitempty"`
	// Expect holds expectations checked against predictions and real Istio.
	Expect []Expectation `json:"expect,omitempty"`
}

// Client names the sidecar whose listeners are predicted.
type Client struct {
	// Namespace of the client workload; "default" when empty.
	Namespace string `json:"namespace,omitempty"`
	// Labels select the client workload among the manifests; when no
	// manifest matches, the standard client workload (fixtures/client.yaml)
	// is added with these labels (app: client when empty).
	Labels map[string]string `json:"labels,omitempty"`
	// Pod names the client pod, for a client that is one pod of several
	// carrying the client labels: a Pod manifest's name, or a
	// StatefulSet's pod NAME-ORDINAL (pg-0), the same names as in a real
	// cluster. For kinds whose pod names a controller makes up
	// (Deployment, ReplicaSet, ...) it is the simulated name
	// (scenario.PodNames; an error lists them), and in a real cluster
	// the client is one of that workload's pods. Without Labels, the
	// labels are the named pod's.
	Pod string `json:"pod,omitempty"`
	// IP pins the client pod's IP; otherwise the resolver assigns one.
	// The same as IPs with one address.
	IP string `json:"ip,omitempty"`
	// IPs pins the client pod's addresses, at most one per family, in the
	// families IPFamily gives the cluster; on a dual-stack client a family
	// left out gets its simulated address, as the cluster would assign it.
	IPs []string `json:"ips,omitempty"`
	// IPFamily is IPv4 (default), IPv6 or DualStack; it sets the cluster's
	// address families too.
	IPFamily string `json:"ipFamily,omitempty"`
	// InterceptionMode is REDIRECT (default), TPROXY or NONE.
	InterceptionMode string `json:"interceptionMode,omitempty"`
	// DNSCapture and DNSAutoAllocate are the proxy metadata
	// ISTIO_META_DNS_CAPTURE and ISTIO_META_DNS_AUTO_ALLOCATE.
	DNSCapture      bool `json:"dnsCapture,omitempty"`
	DNSAutoAllocate bool `json:"dnsAutoAllocate,omitempty"`
	// Unprivileged marks a proxy that cannot bind ports below 1024.
	Unprivileged bool `json:"unprivileged,omitempty"`
}

// Istiod holds control plane settings.
type Istiod struct {
	// Env holds feature flags, e.g. PILOT_ENABLE_IP_AUTOALLOCATE: "false".
	Env map[string]string `json:"env,omitempty"`
}

// Expectation is what a scenario asserts about the listeners, optionally
// only for a range of Istio versions.
type Expectation struct {
	// Versions is a range such as ">=1.25", "<1.25", "1.24-1.26", or a
	// version gate ("SidecarExactHostLookup", "!SidecarExactHostLookup":
	// the versions that have or lack that behaviour, as their Istio source
	// decides for versions on demand); empty means every version.
	Versions string `json:"versions,omitempty"`
	// Listeners maps a listener name to its chains, each written as
	// "MATCH -> DESTINATION" (e.g. "all -> cluster outbound|3306||a.example.com",
	// "alpn=http/1.1,h2c,http/1.0 transport=raw_buffer -> route 8080"); the
	// default chain is written "default -> DESTINATION". A nil list only
	// asserts that the listener exists.
	Listeners map[string][]string `json:"listeners,omitempty"`
	// Absent lists listener names that must not exist.
	Absent []string `json:"absent,omitempty"`
	// Conflicts lists rejected services as "LISTENER HOSTNAME".
	Conflicts []string `json:"conflicts,omitempty"`
	// Requests are HTTP requests of the client and where each must go.
	Requests []RequestExpectation `json:"requests,omitempty"`
}

// RequestExpectation is an HTTP request of the client and its outcome:
// traced from the address To through the listeners to the route
// configuration their HTTP chain names, or sent to RouteConfig directly,
// then matched there as Envoy does (route.Select).
type RequestExpectation struct {
	// To is the request's original destination, IP:PORT.
	To string `json:"to,omitempty"`
	// RouteConfig names the route configuration ("9080") when To is not
	// given.
	RouteConfig string `json:"routeConfig,omitempty"`
	// Host is the Host (:authority) header, with its port if the client
	// sends one.
	Host string `json:"host"`
	// Path is the path with its query; "" is "/".
	Path string `json:"path,omitempty"`
	// Method is the method; "" is GET.
	Method string `json:"method,omitempty"`
	// Headers are request headers by name.
	Headers map[string]string `json:"headers,omitempty"`
	// Want is the outcome: "cluster NAME", "clusters NAME=WEIGHT,..."
	// (sorted by name), "redirect STATUS URL", "direct response STATUS",
	// "404 no virtual host" or "404 no route".
	Want string `json:"want"`
}

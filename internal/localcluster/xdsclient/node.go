package xdsclient

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/world"
)

// Node is the sidecar the client stands in for.
type Node struct {
	// Client is the pod, with the proxy settings its annotations give.
	Client world.Client
	// IstioVersion is the ISTIO_VERSION the proxy reports.
	IstioVersion string
	// ClusterID is the cluster the proxy runs in; empty means "Kubernetes",
	// istiod's default.
	ClusterID string
}

// StatusPort and PrometheusPort are the ports a sidecar's agent reports
// (ENVOY_STATUS_PORT, ENVOY_PROMETHEUS_PORT); istiod keeps wildcard service
// listeners off them.
const (
	StatusPort     = 15021
	PrometheusPort = 15090
)

// ID is the node ID a sidecar's agent sends: sidecar~IP~POD.NS~NS.svc.cluster.local.
func (n Node) ID() string {
	ip := ""
	if len(n.Client.IPs) > 0 {
		ip = n.Client.IPs[0]
	}
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.%s", ip, n.Client.Name, n.Client.Namespace, n.Client.Namespace, clusterdefaults.ServiceDomain)
}

// Metadata is the node metadata istiod reads into its proxy model: the
// fields that change listeners. Booleans are the strings "true" as the
// agent sends them (istiod refuses an empty string where it wants a bool).
func (n Node) Metadata() (*structpb.Struct, error) {
	c := n.Client
	mode := c.InterceptionMode
	if mode == "" {
		mode = "REDIRECT"
	}
	cluster := n.ClusterID
	if cluster == "" {
		cluster = "Kubernetes"
	}
	labels := map[string]any{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	m := map[string]any{
		"ISTIO_VERSION":         n.IstioVersion,
		"CLUSTER_ID":            cluster,
		"NAMESPACE":             c.Namespace,
		"NAME":                  c.Name,
		"LABELS":                labels,
		"INSTANCE_IPS":          strings.Join(c.IPs, ","),
		"INTERCEPTION_MODE":     mode,
		"ENVOY_STATUS_PORT":     StatusPort,
		"ENVOY_PROMETHEUS_PORT": PrometheusPort,
	}
	if c.ServiceAccount != "" {
		m["SERVICE_ACCOUNT"] = c.ServiceAccount
	}
	if c.DNSCapture {
		m["DNS_CAPTURE"] = "true"
	}
	if c.DNSAutoAllocate {
		m["DNS_AUTO_ALLOCATE"] = "true"
	}
	if c.Unprivileged {
		m["UNPRIVILEGED_POD"] = "true"
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, fmt.Errorf("node metadata of %s/%s: %w", c.Namespace, c.Name, err)
	}
	return s, nil
}

// envoyNode is the Node message of every request.
func (n Node) envoyNode() (*corev3.Node, error) {
	md, err := n.Metadata()
	if err != nil {
		return nil, err
	}
	return &corev3.Node{Id: n.ID(), Cluster: n.Client.Name + "." + n.Client.Namespace, Metadata: md,
		UserAgentName: "listenerlab-xdsclient"}, nil
}

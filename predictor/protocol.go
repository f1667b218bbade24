package predictor

import (
	"strconv"
	"strings"
)

// protocol is Istio's protocol of a service port (pkg/config/protocol).
type protocol string

const (
	pHTTP        protocol = "HTTP"
	pHTTP2       protocol = "HTTP2"
	pHTTPProxy   protocol = "HTTP_PROXY"
	pGRPC        protocol = "GRPC"
	pGRPCWeb     protocol = "GRPC-Web"
	pTCP         protocol = "TCP"
	pHTTPS       protocol = "HTTPS"
	pTLS         protocol = "TLS"
	pMongo       protocol = "Mongo"
	pRedis       protocol = "Redis"
	pMySQL       protocol = "MySQL"
	pUDP         protocol = "UDP"
	pUnsupported protocol = "UnsupportedProtocol"
)

// parseProtocol models protocol.Parse: a known name, else auto-detect.
func parseProtocol(s string) protocol {
	switch strings.ToLower(s) {
	case "tcp":
		return pTCP
	case "udp":
		return pUDP
	case "grpc":
		return pGRPC
	case "grpc-web":
		return pGRPCWeb
	case "http":
		return pHTTP
	case "http_proxy":
		return pHTTPProxy
	case "http2":
		return pHTTP2
	case "https":
		return pHTTPS
	case "tls":
		return pTLS
	case "mongo":
		return pMongo
	case "redis":
		return pRedis
	case "mysql":
		return pMySQL
	}
	return pUnsupported
}

// wellKnownTCPPorts are ports that default to TCP when a Kubernetes port
// name names no protocol (SMTP, DNS, MySQL, MongoDB).
var wellKnownTCPPorts = map[int32]bool{25: true, 53: true, 3306: true, 27017: true}

// kubeProtocol models kube.ConvertProtocol (pkg/config/kube/conversion.go):
// UDP stays UDP; appProtocol wins over the port name; "grpc-web" is matched
// before the name is cut at its first dash; an unknown name on a well-known
// port is TCP, anywhere else auto-detect.
func kubeProtocol(port int32, name, proto string, appProtocol *string) (protocol, string) {
	if proto == "UDP" {
		return pUDP, "protocol UDP"
	}
	source := "port name (none)"
	if name != "" {
		source = `port name "` + name + `"`
	}
	if appProtocol != nil {
		name = *appProtocol
		source = "appProtocol " + quote(name)
		switch name {
		case "kubernetes.io/h2c":
			return pHTTP2, source
		case "kubernetes.io/ws":
			return pHTTP, source
		case "kubernetes.io/wss":
			return pHTTPS, source
		}
	}
	if len(name) >= len("grpc-web") && strings.EqualFold(name[:len("grpc-web")], "grpc-web") {
		return pGRPCWeb, source
	}
	prefix, _, _ := strings.Cut(name, "-")
	p := parseProtocol(prefix)
	if p == pUnsupported && wellKnownTCPPorts[port] {
		return pTCP, source + " names no protocol, and well-known port " + itoa(int(port)) + " defaults to TCP"
	}
	if p == pUnsupported {
		return p, source + " names no protocol: auto-detect"
	}
	return p, source
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}

// listenerClass models ModelProtocolToListenerProtocol
// (pilot/pkg/networking/networking.go).
type listenerClass int

const (
	classNone listenerClass = iota // UDP: no listener
	classHTTP
	classTCP
	classAuto
)

func (p protocol) class() listenerClass {
	switch p {
	case pHTTP, pHTTP2, pHTTPProxy, pGRPC, pGRPCWeb:
		return classHTTP
	case pTCP, pHTTPS, pTLS, pMongo, pRedis, pMySQL:
		return classTCP
	case pUDP:
		return classNone
	}
	return classAuto
}

func (p protocol) isHTTP() bool { return p.class() == classHTTP }
func (p protocol) isTCP() bool  { return p.class() == classTCP }
func (p protocol) isTLS() bool  { return p == pHTTPS || p == pTLS }

// serverFirst reports protocols whose server speaks first, which protocol
// sniffing breaks (Istio refuses to mix them with other protocols).
func (p protocol) serverFirst() bool { return p == pMySQL || p == pMongo }

func itoa(i int) string { return strconv.Itoa(i) }

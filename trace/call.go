package trace

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// Call is one outbound connection as the application opens it.
type Call struct {
	// To is the original destination: the address and port the application
	// connects to, before iptables redirects it to the sidecar.
	To netip.AddrPort `json:"to"`
	// TLS marks a connection that starts with a TLS ClientHello; SNI
	// implies it.
	TLS bool `json:"tls,omitempty"`
	// SNI is the server name of the ClientHello.
	SNI string `json:"sni,omitempty"`
	// ALPN are the application protocols the client offers, most preferred
	// first: in the ClientHello for TLS, the HTTP version for plaintext.
	ALPN []string `json:"alpn,omitempty"`
	// Host is the HTTP Host header of a plaintext HTTP request.
	Host string `json:"host,omitempty"`
	// Path, Method and Headers are the rest of the HTTP request that an
	// HTTP chain's route configuration reads: path with query ("" is "/"),
	// method ("" is GET), headers by name.
	Path    string            `json:"path,omitempty"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Connection is what Envoy knows of a call when it selects a filter chain:
// the original destination, and what the listener filters detected.
type Connection struct {
	Address netip.Addr `json:"address"`
	Port    uint32     `json:"port"`
	// Transport is "tls" when the tls_inspector saw a ClientHello, else
	// "raw_buffer".
	Transport string `json:"transport"`
	// ServerName is the SNI the tls_inspector read.
	ServerName string `json:"serverName,omitempty"`
	// ALPN are the application protocols the tls_inspector read (TLS) or
	// the http_inspector set (plaintext HTTP).
	ALPN []string `json:"alpn,omitempty"`
	// Notes say how the call's hints became these properties.
	Notes []string `json:"notes,omitempty"`
}

// Transport protocols as Envoy's listener filters set them
// (FilterChainMatch.transport_protocol).
const (
	RawBuffer = listener.RawBuffer
	TLS       = listener.TLS
)

// Match is what the filter chain match reads of the connection.
func (k Connection) Match() listener.Connection {
	return listener.Connection{Address: k.Address, Port: k.Port, ServerName: k.ServerName, Transport: k.Transport, ALPN: k.ALPN}
}

// Connection models the listener filters Istio puts on virtualOutbound
// (original_dst, tls_inspector, http_inspector): they run before the
// connection is handed to the listener of its original destination, and
// what they detect travels with the socket.
//
//   - tls_inspector: "tls" and the SNI and ALPN of the ClientHello; anything
//     else is "raw_buffer", Envoy's default transport protocol
//     (https://www.envoyproxy.io/docs/envoy/latest/configuration/listeners/listener_filters/tls_inspector).
//   - http_inspector: for plaintext HTTP it sets the application protocol to
//     "http/1.0", "http/1.1" or "h2c" (HTTP/2 with prior knowledge), nothing
//     for other bytes
//     (https://www.envoyproxy.io/docs/envoy/latest/configuration/listeners/listener_filters/http_inspector).
//     So a plaintext call with a Host header and no ALPN is HTTP/1.1, "h2"
//     offered in plaintext is "h2c", and a raw TCP call has no ALPN.
func (c Call) Connection() Connection {
	k := Connection{Address: c.To.Addr(), Port: uint32(c.To.Port()), Transport: RawBuffer}
	tls := c.TLS || c.SNI != ""
	switch {
	case tls:
		k.Transport = TLS
		k.ServerName = strings.ToLower(strings.TrimSuffix(c.SNI, "."))
		k.ALPN = append([]string(nil), c.ALPN...)
		if c.Host != "" {
			k.Notes = append(k.Notes, "the Host header is inside TLS: no listener filter sees it")
		}
	case len(c.ALPN) > 0:
		for _, p := range c.ALPN {
			if p == "h2" {
				p = "h2c"
				k.Notes = append(k.Notes, "h2 in plaintext is HTTP/2 with prior knowledge: the http_inspector sets h2c")
			}
			k.ALPN = append(k.ALPN, p)
		}
	case c.Host != "":
		k.ALPN = []string{"http/1.1"}
		k.Notes = append(k.Notes, "a plaintext request with a Host header: the http_inspector sets http/1.1")
	default:
		k.Notes = append(k.Notes, "no TLS and no HTTP hints: a raw TCP connection has no ALPN")
	}
	return k
}

// ParseAddress reads a destination written IP:PORT or [IPv6]:PORT. The port
// must be 1-65535; host names, zones and IPv6 without brackets are refused.
// An IPv4-mapped IPv6 address is the IPv4 address it maps, as the kernel
// reports the original destination of an IPv4 connection.
func ParseAddress(s string) (netip.AddrPort, error) {
	bad := func(format string, args ...any) (netip.AddrPort, error) {
		return netip.AddrPort{}, fmt.Errorf("address %q: %s (want IP:PORT or [IPv6]:PORT)", s, fmt.Sprintf(format, args...))
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.HasSuffix(s, "]") {
		return bad("no port")
	}
	host, port := s[:i], s[i+1:]
	if port == "" {
		return bad("no port")
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return bad("port %q is not a number", port)
		}
	}
	n, err := strconv.ParseUint(port, 10, 64)
	if err != nil || n < 1 || n > 65535 {
		return bad("port %s is out of range 1-65535", port)
	}
	bracketed := strings.HasPrefix(host, "[")
	if bracketed {
		if !strings.HasSuffix(host, "]") || len(host) < 2 {
			return bad("unbalanced brackets")
		}
		host = host[1 : len(host)-1]
	} else if strings.ContainsAny(host, "[]") {
		return bad("unbalanced brackets")
	}
	if strings.ContainsRune(host, '%') {
		return bad("IPv6 zones are not supported")
	}
	a, err := netip.ParseAddr(host)
	switch {
	case host == "":
		return bad("no IP address")
	case err != nil:
		return bad("%q is not an IP address", host)
	case a.Is6() && !bracketed:
		return bad("write IPv6 addresses in brackets")
	case a.Is4() && bracketed:
		return bad("brackets are for IPv6 addresses")
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(n)), nil
}

package listener

import "sort"

// ConflictKind is how a service port meets the listener already built on
// its name (address_port), incoming protocol over existing: the kinds
// buildSidecarOutboundListener tells apart, which reasons name, and the
// kinds of conflict istiod records when it drops a chain (pilot_conflict_*
// metrics), which Conflict.Kind holds. The text is what reasons, explain
// and the JSON output print.
type ConflictKind string

// How a service port meets the listener on its name (Istio's conflict
// types in pilot/pkg/networking/core/listener.go, plus the two cases where
// buildSidecarOutboundListener returns early).
const (
	// NoConflict: no listener on the name yet; the port builds it.
	NoConflict ConflictKind = "none"
	// HTTPOverTCP: an HTTP port met a TCP listener; both are merged into
	// one sniffed listener: HTTP goes to the route by Host, other bytes to
	// the TCP chains.
	HTTPOverTCP ConflictKind = "http over tcp"
	// TCPOverHTTP: a TCP port met an HTTP listener; both are merged into
	// one sniffed listener: HTTP goes to the route by Host, other bytes to
	// the TCP chain.
	TCPOverHTTP ConflictKind = "tcp over http"
	// TCPOverTCP: two TCP ports on one listener; their chains share it, and
	// a chain whose match equals an earlier one's is dropped: its
	// connections go to the earlier service.
	TCPOverTCP ConflictKind = "tcp over tcp"
	// TCPOverAuto: a TCP port met a sniffed listener; its chain is added
	// beside the earlier ones (dropped if the match is the same).
	TCPOverAuto ConflictKind = "tcp over auto"
	// AutoOverHTTP: an auto-detected port replaces an HTTP-only listener
	// with a sniffed one: HTTP still goes to the route by Host, other bytes
	// to the TCP chain.
	AutoOverHTTP ConflictKind = "auto over http"
	// AutoOverTCP: an auto-detected port met a TCP listener; both are
	// merged into one sniffed listener: the TCP service keeps the non-HTTP
	// bytes, HTTP goes to the route by Host.
	AutoOverTCP ConflictKind = "auto over tcp"
	// HTTPOverHTTP: an HTTP port met an HTTP or sniffed listener; no chain
	// is added, its HTTP is routed by a virtual host of the port's route
	// (RDS). Not an Istio conflict type.
	HTTPOverHTTP ConflictKind = "http over http"
	// AutoOverAuto: an auto-detected port met a listener that already
	// sniffs; nothing is added, so its non-HTTP connections take the
	// earlier service's chains. Not an Istio conflict type.
	AutoOverAuto ConflictKind = "auto over auto"
)

// The conflicts istiod records (the pilot_conflict_* metrics, named as the
// pilot backend and istiod.Conflicts name them). The pilot of the
// catalogued versions records only TCPOverCurrentTCP and InboundListener;
// the other three are metrics of older pilots, named so that a live istiod
// that still records them reads.
const (
	// TCPOverCurrentTCP: a TCP chain dropped because an earlier chain of the
	// listener has the same match: the rejected service's connections that
	// match it go to the accepted service.
	TCPOverCurrentTCP ConflictKind = "tcp over current tcp"
	// TCPOverCurrentHTTP: an older pilot's record of a TCP port that met an
	// HTTP listener on its name: the TCP service's connections take that
	// listener's chains.
	TCPOverCurrentHTTP ConflictKind = "tcp over current http"
	// HTTPOverCurrentTCP: an older pilot's record of an HTTP port that met
	// a TCP listener on its name: the HTTP service's connections take that
	// listener's chains.
	HTTPOverCurrentTCP ConflictKind = "http over current tcp"
	// HTTPOverTransportSocket: an older pilot's record of an HTTP server
	// that met a TLS (transport socket) one on a gateway port: its
	// connections take the TLS server's chains.
	HTTPOverTransportSocket ConflictKind = "http over transport socket"
	// InboundListener: two services select the same port of the workload;
	// one inbound listener serves it (inbound traffic: the suite skips
	// it).
	InboundListener ConflictKind = "inbound listener"
)

// Conflict is a listener conflict istiod records (pilot_conflict_* metrics):
// a service port that was dropped from a listener because another one won.
type Conflict struct {
	Listener string `json:"listener"`
	// Kind is the conflict type, e.g. TCPOverCurrentTCP.
	Kind ConflictKind `json:"kind"`
	// Accepted and Rejected name the services when known.
	Accepted string `json:"accepted,omitempty"`
	Rejected string `json:"rejected,omitempty"`
}

// SortConflicts orders conflicts by listener, then rejected, then accepted.
func SortConflicts(cs []Conflict) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Listener != b.Listener {
			return a.Listener < b.Listener
		}
		if a.Rejected != b.Rejected {
			return a.Rejected < b.Rejected
		}
		return a.Accepted < b.Accepted
	})
}

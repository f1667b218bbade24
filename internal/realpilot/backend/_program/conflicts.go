package main

import (
	"regexp"
	"sort"
	"strings"

	"istio.io/istio/pilot/pkg/model"
)

// conflict is one listener conflict istiod recorded for this push; the JSON
// shape is listener.Conflict of the main module plus what pilot said.
type conflict struct {
	Listener string `json:"listener"`
	Kind     string `json:"kind"`
	Accepted string `json:"accepted,omitempty"`
	Rejected string `json:"rejected,omitempty"`
	// AcceptedProtocol and RejectedProtocol are pilot's protocol names
	// (TCP, HTTP) when the message gives them.
	AcceptedProtocol string `json:"acceptedProtocol,omitempty"`
	RejectedProtocol string `json:"rejectedProtocol,omitempty"`
	// Metric is the pilot_conflict_* gauge that counts it; Message is pilot's
	// own text, as /debug/push_status shows it.
	Metric  string `json:"metric"`
	Message string `json:"message"`
}

// How pilot records a conflict: listener generation calls
// push.AddMetric(model.ProxyStatusConflict..., key, proxyID, message), which
// stores it in push.ProxyStatus[metric name][key]. For outbound listeners the
// key is the listener name, so a second conflict on the same listener
// replaces the first: pilot keeps one record per listener and metric. The
// outbound message names only the rejected service:
//
//	Listener=0.0.0.0_3306 Accepted=TCP Rejected=TCP (b.example.com)
//
// The inbound message is keyed by proxy ID and names both services:
//
//	Conflicting inbound listener:8080. existing: a.ns.svc.cluster.local, incoming: b.ns.svc.cluster.local
var (
	outboundMessage = regexp.MustCompile(`^Listener=(\S+) Accepted=(\S+) Rejected=(\S+) \((.*)\)$`)
	inboundMessage  = regexp.MustCompile(`^Conflicting inbound listener:(\d+)\. existing: (\S*), incoming: (\S*)$`)
)

// conflictKinds names each pilot_conflict_* metric by a short stable string.
// Metrics that a version does not have simply never appear.
var conflictKinds = map[string]string{
	"pilot_conflict_outbound_listener_tcp_over_current_tcp":  "tcp over current tcp",
	"pilot_conflict_outbound_listener_tcp_over_current_http": "tcp over current http",
	"pilot_conflict_outbound_listener_http_over_current_tcp": "http over current tcp",
	"pilot_conflict_outbound_listener_http_over_https":       "http over transport socket",
	"pilot_conflict_inbound_listener":                        "inbound listener",
}

// conflictKind maps a metric name to its kind; an unknown pilot_conflict_*
// metric of a newer version gets its name with underscores as spaces.
func conflictKind(metric string) string {
	if k, ok := conflictKinds[metric]; ok {
		return k
	}
	k := strings.TrimPrefix(metric, "pilot_conflict_")
	k = strings.TrimPrefix(k, "outbound_listener_")
	return strings.ReplaceAll(k, "_", " ")
}

// pushConflicts reads the conflicts recorded in push for the proxy with the
// given ID, in a stable order.
func pushConflicts(push *model.PushContext, proxyID string) []conflict {
	out := []conflict{}
	for metric, byKey := range push.ProxyStatus {
		if !strings.HasPrefix(metric, "pilot_conflict_") {
			continue
		}
		for key, st := range byKey {
			if st.Proxy != "" && st.Proxy != proxyID {
				continue
			}
			c := conflict{Listener: key, Kind: conflictKind(metric), Metric: metric, Message: st.Message}
			if m := outboundMessage.FindStringSubmatch(st.Message); m != nil {
				c.Listener = m[1]
				c.AcceptedProtocol, c.RejectedProtocol, c.Rejected = m[2], m[3], m[4]
			} else if m := inboundMessage.FindStringSubmatch(st.Message); m != nil {
				c.Listener = "inbound:" + m[1]
				c.Accepted, c.Rejected = m[2], m[3]
			}
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Listener != b.Listener {
			return a.Listener < b.Listener
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Message < b.Message
	})
	return out
}

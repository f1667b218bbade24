package istiod

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// pushStatus is /debug/push_status: istiod's conflict and error records of
// one push context, by metric name, then by key (for outbound listener
// conflicts the listener name: one record per listener name across all
// proxies). It is the context before the current one (DiscoveryServer.Push
// publishes the old context when a new push starts) until istiod's 10 s
// metrics refresh publishes the current one.
type pushStatus map[string]map[string]struct {
	Proxy   string `json:"proxy"`
	Message string `json:"message"`
}

// How pilot records a conflict: listener generation calls
// push.AddMetric(model.ProxyStatusConflict..., key, proxyID, message), which
// stores it in push.ProxyStatus[metric name][key] (PushContext.StatusJSON is
// that map; the pilot backend prints it too). For outbound listeners the key
// is the listener name, so a second conflict on the same listener replaces
// the first: pilot keeps one record per listener and metric. The outbound
// message names only the rejected service:
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

// conflictKinds names each pilot_conflict_* metric as listener.Conflict
// kinds do (the pilot backend uses the same names).
var conflictKinds = map[string]listener.ConflictKind{
	"pilot_conflict_outbound_listener_tcp_over_current_tcp":  listener.TCPOverCurrentTCP,
	"pilot_conflict_outbound_listener_tcp_over_current_http": listener.TCPOverCurrentHTTP,
	"pilot_conflict_outbound_listener_http_over_current_tcp": listener.HTTPOverCurrentTCP,
	"pilot_conflict_outbound_listener_http_over_https":       listener.HTTPOverTransportSocket,
	"pilot_conflict_inbound_listener":                        listener.InboundListener,
}

// ConflictKind maps a pilot_conflict_* metric name to its kind; a metric
// not named above becomes its words ("pilot_conflict_outbound_listener_a_b"
// is "a b").
func ConflictKind(metric string) listener.ConflictKind {
	if k, ok := conflictKinds[metric]; ok {
		return k
	}
	k := strings.TrimPrefix(strings.TrimPrefix(metric, "pilot_conflict_"), "outbound_listener_")
	return listener.ConflictKind(strings.ReplaceAll(k, "_", " "))
}

// Conflicts reads the listener conflicts of /debug/push_status that
// istiod recorded for proxies accepted by keep (nil keeps all), sorted.
// Inbound conflicts are skipped: the suite compares outbound listeners.
func Conflicts(pushStatusJSON []byte, keep func(proxyID string) bool) ([]listener.Conflict, error) {
	if len(strings.TrimSpace(string(pushStatusJSON))) == 0 {
		return nil, nil // istiod has not pushed yet
	}
	var ps pushStatus
	if err := json.Unmarshal(pushStatusJSON, &ps); err != nil {
		return nil, fmt.Errorf("istiod /debug/push_status: %w", err)
	}
	var out []listener.Conflict
	for metric, byKey := range ps {
		if !strings.HasPrefix(metric, "pilot_conflict_") || ConflictKind(metric) == listener.InboundListener {
			continue
		}
		for key, st := range byKey {
			if keep != nil && !keep(st.Proxy) {
				continue
			}
			c := listener.Conflict{Listener: key, Kind: ConflictKind(metric)}
			if m := outboundMessage.FindStringSubmatch(st.Message); m != nil {
				c.Listener, c.Rejected = m[1], m[4]
			} else if m := inboundMessage.FindStringSubmatch(st.Message); m != nil {
				continue
			}
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Listener != out[j].Listener {
			return out[i].Listener < out[j].Listener
		}
		return string(out[i].Kind)+out[i].Rejected < string(out[j].Kind)+out[j].Rejected
	})
	return out, nil
}

// Record is one outbound conflict record of /debug/push_status: the
// listener name it is keyed by and the proxy whose push wrote it last.
type Record struct {
	Listener string
	Proxy    string
}

// Records lists the outbound conflict records of /debug/push_status with
// their proxies, sorted. Pilot keeps one record per listener name and
// metric across all proxies, so two proxies pushed together with a
// conflict on the same listener name leave only one record: Records is how
// a reader finds the names on which that may have happened.
func Records(pushStatusJSON []byte) ([]Record, error) {
	if len(strings.TrimSpace(string(pushStatusJSON))) == 0 {
		return nil, nil
	}
	var ps pushStatus
	if err := json.Unmarshal(pushStatusJSON, &ps); err != nil {
		return nil, fmt.Errorf("istiod /debug/push_status: %w", err)
	}
	var out []Record
	for metric, byKey := range ps {
		if !strings.HasPrefix(metric, "pilot_conflict_") || ConflictKind(metric) == listener.InboundListener {
			continue
		}
		for key, st := range byKey {
			out = append(out, Record{Listener: key, Proxy: st.Proxy})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Listener != out[j].Listener {
			return out[i].Listener < out[j].Listener
		}
		return out[i].Proxy < out[j].Proxy
	})
	return out, nil
}

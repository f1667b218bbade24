package istiod

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SyncStatus is one proxy's entry of /debug/syncz: the nonce of the last
// response istiod sent for each xDS type and the one the proxy
// acknowledged.
type SyncStatus struct {
	ProxyID       string `json:"proxy"`
	IstioVersion  string `json:"istio_version,omitempty"`
	ClusterSent   string `json:"cluster_sent,omitempty"`
	ClusterAcked  string `json:"cluster_acked,omitempty"`
	ListenerSent  string `json:"listener_sent,omitempty"`
	ListenerAcked string `json:"listener_acked,omitempty"`
	RouteSent     string `json:"route_sent,omitempty"`
	RouteAcked    string `json:"route_acked,omitempty"`
	EndpointSent  string `json:"endpoint_sent,omitempty"`
	EndpointAcked string `json:"endpoint_acked,omitempty"`
}

// ParseSyncz reads /debug/syncz.
func ParseSyncz(b []byte) ([]SyncStatus, error) {
	var out []SyncStatus
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("istiod /debug/syncz: %w", err)
	}
	return out, nil
}

// Find returns the entry of a proxy.
func Find(all []SyncStatus, proxyID string) (SyncStatus, bool) {
	for _, s := range all {
		if s.ProxyID == proxyID {
			return s, true
		}
	}
	return SyncStatus{}, false
}

// Synced reports whether the proxy acknowledged the last CDS, LDS and RDS
// responses istiod sent (EDS is incremental and does not change
// listeners); when it did not, the reason names the first type behind.
func (s SyncStatus) Synced() (bool, string) {
	for _, t := range []struct{ name, sent, acked string }{
		{"CDS", s.ClusterSent, s.ClusterAcked},
		{"LDS", s.ListenerSent, s.ListenerAcked},
		{"RDS", s.RouteSent, s.RouteAcked},
	} {
		if t.name != "RDS" && t.sent == "" {
			return false, t.name + " not sent yet"
		}
		if t.sent != t.acked {
			return false, fmt.Sprintf("%s sent %s, acknowledged %q", t.name, short(t.sent), short(t.acked))
		}
	}
	return true, ""
}

// String is a one-line summary for wait errors.
func (s SyncStatus) String() string {
	return fmt.Sprintf("%s: CDS %s/%s LDS %s/%s RDS %s/%s (sent/acked)", s.ProxyID,
		short(s.ClusterSent), short(s.ClusterAcked), short(s.ListenerSent), short(s.ListenerAcked), short(s.RouteSent), short(s.RouteAcked))
}

// uuidLen is the length of the random part istiod appends to a nonce.
const uuidLen = 36

// PushCounter reads the push counter from a nonce. istiod's nonce is the
// push version, "RFC3339-TIME/COUNTER", followed by a UUID; the counter
// grows with every push context istiod builds.
func PushCounter(nonce string) (uint64, bool) {
	if len(nonce) <= uuidLen {
		return 0, false
	}
	version := nonce[:len(nonce)-uuidLen]
	i := strings.LastIndexByte(version, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(version[i+1:], 10, 64)
	return n, err == nil
}

// LatestPush is the highest push counter any proxy was sent: a push
// counter above it comes from a push context built later.
func LatestPush(all []SyncStatus) uint64 {
	var max uint64
	for _, s := range all {
		for _, n := range []string{s.ClusterSent, s.ListenerSent, s.RouteSent, s.EndpointSent} {
			if c, ok := PushCounter(n); ok && c > max {
				max = c
			}
		}
	}
	return max
}

// SyncedAfter reports whether the proxy is synced on a push built after
// the push counter after.
func (s SyncStatus) SyncedAfter(after uint64) (bool, string) {
	if ok, why := s.Synced(); !ok {
		return false, why
	}
	c, ok := PushCounter(s.ListenerAcked)
	if !ok {
		return false, "LDS nonce " + short(s.ListenerAcked) + " has no push counter"
	}
	if c <= after {
		return false, fmt.Sprintf("LDS acknowledged push %d, waiting for a push after %d", c, after)
	}
	return true, ""
}

func short(nonce string) string {
	if len(nonce) > uuidLen {
		return nonce[:len(nonce)-uuidLen] + "…"
	}
	if nonce == "" {
		return "-"
	}
	return nonce
}

package predictor

import (
	"testing"

	"github.com/listenerlab/listenerlab/listener"
)

// TestClassify checks the conflict types against the switch in Istio's
// buildSidecarOutboundListener (pilot/pkg/networking/core/listener.go, read
// in 1.24 and 1.31-dev): incoming listener protocol over the existing
// entry's protocol; HTTP_PROXY never conflicts; HTTP over HTTP or sniffed,
// and auto over sniffed, return early.
func TestClassify(t *testing.T) {
	tests := []struct {
		incoming, existing protocol
		want               listener.ConflictKind
	}{
		{pHTTP, "", listener.NoConflict},
		{pHTTPProxy, pTCP, listener.NoConflict},
		{pHTTP, pTCP, listener.HTTPOverTCP},
		{pGRPC, pMySQL, listener.HTTPOverTCP},
		{pHTTP, pHTTP2, listener.HTTPOverHTTP},
		{pHTTP, pUnsupported, listener.HTTPOverHTTP},
		{pTCP, pHTTP, listener.TCPOverHTTP},
		{pTLS, pTCP, listener.TCPOverTCP},
		{pMySQL, pUnsupported, listener.TCPOverAuto},
		{pUnsupported, pHTTP, listener.AutoOverHTTP},
		{pUnsupported, pTCP, listener.AutoOverTCP},
		{pUnsupported, pUnsupported, listener.AutoOverAuto},
	}
	for _, tt := range tests {
		var cur *entry
		if tt.existing != "" {
			cur = &entry{protocol: tt.existing}
		}
		if got := classify(tt.incoming, cur); got != tt.want {
			t.Errorf("%s over %q: %s, want %s", tt.incoming, tt.existing, got, tt.want)
		}
	}
}

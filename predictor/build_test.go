package predictor

import "testing"

// TestClassify checks the conflict types against the switch in Istio's
// buildSidecarOutboundListener (pilot/pkg/networking/core/listener.go, read
// in 1.24 and 1.31-dev): incoming listener protocol over the existing
// entry's protocol; HTTP_PROXY never conflicts; HTTP over HTTP or sniffed,
// and auto over sniffed, return early.
func TestClassify(t *testing.T) {
	tests := []struct {
		incoming, existing protocol
		want               conflictKind
	}{
		{pHTTP, "", noConflict},
		{pHTTPProxy, pTCP, noConflict},
		{pHTTP, pTCP, httpOverTCP},
		{pGRPC, pMySQL, httpOverTCP},
		{pHTTP, pHTTP2, httpOverHTTP},
		{pHTTP, pUnsupported, httpOverHTTP},
		{pTCP, pHTTP, tcpOverHTTP},
		{pTLS, pTCP, tcpOverTCP},
		{pMySQL, pUnsupported, tcpOverAuto},
		{pUnsupported, pHTTP, autoOverHTTP},
		{pUnsupported, pTCP, autoOverTCP},
		{pUnsupported, pUnsupported, autoOverAuto},
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

// Package xdsclient is a small ADS client that stands in for a sidecar's
// Envoy in the local e2e provider: it connects to a real istiod with the
// node ID and metadata a sidecar's agent sends, subscribes to clusters,
// listeners and their routes, acknowledges what it accepts the way Envoy
// does (so istiod's /debug/syncz tracks it), and renders what it holds as an
// Envoy admin config dump that package dump reads.
//
// It is not Envoy. It checks each listener against the protos' validation
// rules and refuses a listener whose filter chains share a match (two
// checks Envoy also makes, reported as error_state like Envoy does), but it
// does not run Envoy's other listener checks, and it never serves traffic.
package xdsclient

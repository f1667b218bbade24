//go:build istio_1_20 || istio_1_21 || istio_1_22 || istio_1_23 || istio_1_24 || istio_1_25

package main

// forgetDebugCollections does nothing: krt has no global debug handler
// in Istio 1.24 (see krtdebug.go).
func forgetDebugCollections() {}

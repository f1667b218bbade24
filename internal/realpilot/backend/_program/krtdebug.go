//go:build !(istio_1_20 || istio_1_21 || istio_1_22 || istio_1_23 || istio_1_24 || istio_1_25)

package main

import "istio.io/istio/pkg/kube/krt"

// forgetDebugCollections starts a World with an empty krt debug handler.
//
// Decision: every krt collection that the fake discovery server builds
// registers itself in krt.GlobalDebugHandler (it backs istiod's
// /debug/krtz), which only ever grows. In batch mode that kept each
// World's collections, informers and their buffers alive after the World
// was answered and its server stopped: about 3 MB a World, a heap that
// every garbage collection scanned again. The handler is only read to
// serve that debug page; everything reads the variable when it builds a
// collection, so a fresh handler per World lets the last World's go.
// Istio 1.24 has no such handler; 1.25 is left out too, unchecked
// (krtdebug_old.go).
func forgetDebugCollections() { krt.GlobalDebugHandler = new(krt.DebugHandler) }

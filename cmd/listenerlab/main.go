// Command listenerlab predicts the outbound listeners Istio builds for a
// sidecar and checks the prediction against real Istio.
package main

import "github.com/listenerlab/listenerlab/cmd/listenerlab/app"

func main() { app.Main() }

package main

import (
	"fmt"

	"istio.io/istio/pilot/test/xds"
)

func main() { fmt.Println(xds.FakeOptions{}) }

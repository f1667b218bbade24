// Command k8slocal runs etcd, kube-apiserver or kube-controller-manager,
// chosen by its first argument: one binary, one link, and the etcd release
// this Kubernetes release is built and tested against.
package main

import (
	"fmt"
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8slocal etcd|kube-apiserver|kube-controller-manager [flags]")
		os.Exit(2)
	}
	name := os.Args[1]
	os.Args = append([]string{name}, os.Args[2:]...)
	switch name {
	case "etcd":
		etcdmain.Main(os.Args)
		os.Exit(0)
	case "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(controllermanager.NewControllerManagerCommand()))
	}
	fmt.Fprintf(os.Stderr, "k8slocal: unknown command %q\n", name)
	os.Exit(2)
}

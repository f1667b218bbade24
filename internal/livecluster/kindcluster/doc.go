// Package kindcluster holds what the kind suite needs around a cluster that
// does not itself need one: the context safety guard, preflight checks,
// the kind provider, the Istio install command, waits with deadlines that
// say what they saw last, pod exec, and the artifacts layout.
package kindcluster

// Package e2erun is the runner of the e2e suite (package e2e, build tag
// e2e): everything between the suite's flags and its features. It picks
// the provider (a kind cluster with real Envoys, or the local control
// plane of package controlplane with an xDS client per client sidecar),
// loads and plans the scenarios and groups them by IP family (the local
// provider starts a control plane of each) and istiod settings, and runs
// each plan: deploy, wait, read the live World back, predict, fetch the
// config dump, read istiod's conflict records, compare, capture the client
// back as a scenario and check that it predicts the same listeners, and
// write the reports and a failed scenario's evidence. It compiles with go build
// ./... and its tests need no cluster; e2e keeps TestMain and one
// e2e-framework feature per scenario.
package e2erun

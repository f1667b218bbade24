// Package verify checks predictions against real Istio: it runs the pilot
// backend of a version on a scenario's World, parses the config dump it
// writes, and compares listeners, chains, destinations and conflicts.
package verify

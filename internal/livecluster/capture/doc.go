// Package capture reads one sidecar's situation from a live cluster,
// read-only, and writes it as a scenario file that predict runs unchanged.
package capture

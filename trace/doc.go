// Package trace answers "where does this connection go?" on a set of
// normalized listeners: Envoy's listener and filter chain matching as a short
// pipeline of filter steps, pure (no I/O).
package trace

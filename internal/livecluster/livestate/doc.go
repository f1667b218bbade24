// Package livestate reads the World back from a cluster a scenario was
// deployed into, and translates what the live cluster assigned back into
// the scenario's own terms.
package livestate

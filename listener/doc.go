// Package listener is the normalized outbound listener shared by the
// predictor, the config dump parser and the comparator.
package listener

// Package listener is the normalized outbound listener shared by the
// predictor, the config dump parser and the comparator, and Envoy's filter
// chain match over it (SelectChain), which the predictor's overlap findings
// and trace share.
package listener

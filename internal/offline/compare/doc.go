// Package compare compares predicted listeners with listeners read from a
// real config dump, and both with a scenario's expectations, reporting
// differences at the deepest level reached: listener, address, match,
// destination, conflict, witness; and route configurations at a level of
// their own (route).
package compare

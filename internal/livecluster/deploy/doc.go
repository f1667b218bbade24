// Package deploy turns an isolated scenario into the ordered steps the kind
// suite runs for it, as data: the suite executes them and the dry run
// prints them.
package deploy

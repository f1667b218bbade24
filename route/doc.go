// Package route is the normalized outbound HTTP route configuration (RDS)
// shared by the predictor, the config dump parser and the comparator, and
// Envoy's request matching over it (Select): which virtual host a request's
// Host picks, which route its path, headers and query take, and where that
// route sends it. It is to HTTP chains what package listener is to
// connections.
package route

// Package dump reads the listeners of an Envoy admin config dump and normalizes them into listener.Listener values.
package dump

// Package report renders predictions and verdicts for people (tables and
// prose) and machines (JSON, YAML, JUnit).
package report

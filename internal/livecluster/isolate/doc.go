// Package isolate renames a scenario's namespaces and limits its client's
// visibility so that many scenarios share one cluster without seeing each
// other, while every scenario still tests what it was written to test.
package isolate

//go:build !linux

package controlplane

import "syscall"

// sysProcAttr: only Linux has a parent-death signal; elsewhere Stop (and
// the stale-folder sweep of the next Start) clean up.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

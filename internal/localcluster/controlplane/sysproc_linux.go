package controlplane

import "syscall"

// sysProcAttr kills a child when the process that started it dies, so an
// interrupted suite leaves no etcd or API server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

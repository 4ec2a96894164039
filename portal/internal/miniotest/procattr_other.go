//go:build !linux

package miniotest

import "syscall"

// sysProcAttr has nothing to add outside Linux; t.Cleanup stops the server.
func sysProcAttr() *syscall.SysProcAttr { return nil }

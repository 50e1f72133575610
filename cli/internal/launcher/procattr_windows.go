package launcher

import "syscall"

// childAttr has nothing to add on Windows.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

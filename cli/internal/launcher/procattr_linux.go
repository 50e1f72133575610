package launcher

import "syscall"

// childAttr puts each child in its own process group, so a terminal's Ctrl-C
// reaches only the launcher, which then stops the children in order; and asks
// the kernel to SIGTERM the child if the launcher dies without cleaning up.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

//go:build unix && !linux

package launcher

import "syscall"

// childAttr puts each child in its own process group, so a terminal's Ctrl-C
// reaches only the launcher, which then stops the children in order.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

package pgcluster

import "syscall"

// detached puts pg_ctl (and the server it forks) in a process group of its own.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

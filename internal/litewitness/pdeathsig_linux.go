package litewitness

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop the witness process if the process
// that started it dies without stopping it (a killed demo or test).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

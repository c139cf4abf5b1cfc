package loadelection

import "syscall"

// lowerThreadPriority sets the calling thread's nice value to 19: on
// Linux, setpriority(PRIO_PROCESS, 0) applies to the calling thread only.
func lowerThreadPriority() {
	syscall.Setpriority(syscall.PRIO_PROCESS, 0, 19)
}

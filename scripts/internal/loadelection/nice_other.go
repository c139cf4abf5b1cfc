//go:build !linux

package loadelection

// lowerThreadPriority does nothing outside Linux.
func lowerThreadPriority() {}

//go:build !linux

package networktest

import "testing"

// Unresponsive skips the test: only on Linux does it know how to make a
// loopback port that answers no connection.
func Unresponsive(t testing.TB) string {
	t.Helper()
	t.Skip("no unresponsive loopback port on this system")
	return ""
}

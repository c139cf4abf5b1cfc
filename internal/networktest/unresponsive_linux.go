package networktest

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// Unresponsive returns the address (127.0.0.1:PORT) of a loopback port
// that answers no connection, as a machine that is down or behind a cut
// link: a listening socket whose queue of connections not yet accepted (of
// length one) is full, so that Linux drops every further connection
// request unanswered. It skips the test if the kernel answers one anyway.
func Unresponsive(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	filler, err := net.Dial("tcp", addr) // takes the queue's one place
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
		c.Close()
		t.Skip("this kernel answers connections beyond a full queue: no unresponsive port to test with")
	}
	return addr
}

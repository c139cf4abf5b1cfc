package client_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/evote/evote/bulletin/client"
)

// unresponsive returns the address of a loopback port that answers no
// connection, as a machine that is down or behind a cut link: a listening
// socket whose queue of connections not yet accepted (of length one) is
// full, so that Linux drops every further connection request unanswered.
func unresponsive(t *testing.T) string {
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

// TestBoardsUnresponsiveOperator: a post to an operator that answers no
// connection falls over to the next once connecting takes DialTimeout,
// not the whole attempt's time, which is for an operator that runs but
// answers late.
func TestBoardsUnresponsiveOperator(t *testing.T) {
	_, vkey := boardKey(t, "client test board")
	first, err := client.New("http://"+unresponsive(t), vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := newBoard(t)
	var why error
	boards, err := client.NewBoards([]*client.Client{first, second.client(t)}, client.BoardsOptions{
		Attempt:    client.DefaultAttempt,
		OnFailover: func(_, _ *client.Client, err error) { why = err },
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := boards.Submit(t.Context(), sub(1), 0)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if _, err := p.Receipt.Verify(second.vkey); err != nil || second.log.Size() != 1 {
		t.Fatalf("the second operator's receipt (%v); it holds %d records", err, second.log.Size())
	}
	var op *net.OpError
	if !errors.As(why, &op) || op.Op != "dial" || !op.Timeout() {
		t.Fatalf("fell over from the unresponsive operator for %v, want a connection that timed out", why)
	}
}

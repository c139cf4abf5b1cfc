package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// TestRelay relays an echo server's connection with a delay and jitter:
// every byte comes back, in order, and none before the delay each way.
func TestRelay(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.(*net.TCPConn).CloseWrite() }()
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := parseRelay(l.Addr().String() + "=" + echo.Addr().String() + "@127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	r.delay, r.jitter = 20*time.Millisecond, 10*time.Millisecond
	go r.serve(l)

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 1<<20)
	rand.Read(want)
	start := time.Now()
	go func() {
		for b := want; len(b) > 0; b = b[min(len(b), 1000):] {
			c.Write(b[:min(len(b), 1000)])
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	first := make([]byte, 1)
	if _, err := io.ReadFull(c, first); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 2*r.delay {
		t.Errorf("the first byte came back after %v, before twice the delay %v", d, r.delay)
	}
	rest, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, want) {
		t.Errorf("relayed %d bytes, not the %d sent in order", len(got), len(want))
	}
}

// TestParseRelay refuses what is not LISTEN=TARGET[@SOURCE].
func TestParseRelay(t *testing.T) {
	for _, arg := range []string{"", "127.0.0.1:1", "127.0.0.1=127.0.0.1:2", "127.0.0.1:1=host", "127.0.0.1:1=127.0.0.1:2@nohost", "127.0.0.1:1=127.0.0.1:2@"} {
		if _, err := parseRelay(arg); err == nil {
			t.Errorf("parseRelay(%q) = nil error, want one", arg)
		}
	}
	r, err := parseRelay("10.0.0.254:30121=10.0.0.2:26656@10.0.1.1")
	if err != nil || r.listen != "10.0.0.254:30121" || r.target != "10.0.0.2:26656" || !r.source.IP.Equal(net.ParseIP("10.0.1.1")) {
		t.Errorf("parseRelay = %+v, %v", r, err)
	}
}

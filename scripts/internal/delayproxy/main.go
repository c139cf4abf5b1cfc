// Command delayproxy relays TCP connections and holds every byte for a
// while in each direction, as a long link would: scripts/replica-machines.sh
// puts it between operators that run in network namespaces on one machine,
// whose kernel may lack netem (tc qdisc … netem), to give their links the
// delay of machines in different cities.
//
// Usage:
//
//	delayproxy -delay 25ms [-jitter 5ms] LISTEN=TARGET[@SOURCE] ...
//
// For each relay it listens at LISTEN (HOST:PORT) and, for each connection
// it accepts, connects to TARGET (HOST:PORT) from the address SOURCE (a
// host, any port) if given, and copies the bytes both ways, each chunk read
// written delay later, plus up to jitter more, never before the chunk read
// before it (the order of a TCP stream is kept). A half-close is passed on
// once the bytes before it are; an error on either side closes both.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"time"
)

func main() {
	delay := flag.Duration("delay", 0, "time each byte is held, each way")
	jitter := flag.Duration("jitter", 0, "up to this much more, drawn for each chunk")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("delayproxy: ")
	if flag.NArg() == 0 || *delay < 0 || *jitter < 0 {
		log.Fatal("usage: delayproxy -delay D [-jitter J] LISTEN=TARGET[@SOURCE] ...")
	}
	var relays []relay
	for _, arg := range flag.Args() {
		r, err := parseRelay(arg)
		if err != nil {
			log.Fatal(err)
		}
		r.delay, r.jitter = *delay, *jitter
		relays = append(relays, r)
	}
	errs := make(chan error)
	for _, r := range relays {
		l, err := net.Listen("tcp", r.listen)
		if err != nil {
			log.Fatal(err)
		}
		go func() { errs <- r.serve(l) }()
	}
	log.Fatal(<-errs)
}

// relay is one listening address and where its connections go.
type relay struct {
	listen, target string
	source         *net.TCPAddr // nil: the system's choice
	delay, jitter  time.Duration
}

// parseRelay parses LISTEN=TARGET[@SOURCE].
func parseRelay(arg string) (relay, error) {
	listen, rest, ok := strings.Cut(arg, "=")
	if !ok {
		return relay{}, fmt.Errorf("relay %q is not LISTEN=TARGET[@SOURCE]", arg)
	}
	target, source, hasSource := strings.Cut(rest, "@")
	r := relay{listen: listen, target: target}
	for _, a := range []string{listen, target} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return relay{}, fmt.Errorf("relay %q: %w", arg, err)
		}
	}
	if hasSource {
		ip := net.ParseIP(source)
		if ip == nil {
			return relay{}, fmt.Errorf("relay %q: source %q is not an IP address", arg, source)
		}
		r.source = &net.TCPAddr{IP: ip}
	}
	return r, nil
}

// serve accepts connections on l and relays each to r.target, until l
// fails.
func (r relay) serve(l net.Listener) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	if r.source != nil {
		d.LocalAddr = r.source
	}
	for {
		in, err := l.Accept()
		if err != nil {
			return fmt.Errorf("%s: %w", r.listen, err)
		}
		go func() {
			out, err := d.Dial("tcp", r.target)
			if err != nil {
				log.Printf("%s: %v", r.listen, err)
				in.Close()
				return
			}
			done := make(chan struct{}, 2)
			go func() { r.pipe(out.(*net.TCPConn), in.(*net.TCPConn)); done <- struct{}{} }()
			go func() { r.pipe(in.(*net.TCPConn), out.(*net.TCPConn)); done <- struct{}{} }()
			<-done
			<-done
			in.Close()
			out.Close()
		}()
	}
}

// chunk is bytes read and the time to write them.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each chunk written r.delay (plus up to
// r.jitter) after it was read and not before the one before it; at src's
// end it half-closes dst, and on an error it closes both.
func (r relay) pipe(dst, src *net.TCPConn) {
	queue := make(chan chunk, 1024)
	go func() {
		defer close(queue)
		var last time.Time
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				due := time.Now().Add(r.delay + r.draw())
				if due.Before(last) {
					due = last
				}
				last = due
				queue <- chunk{buf[:n], due}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					dst.Close()
				}
				return
			}
		}
	}()
	for c := range queue {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			src.Close()
			for range queue {
			}
			return
		}
	}
	dst.CloseWrite()
}

// draw returns a duration from 0 to r.jitter, uniformly.
func (r relay) draw() time.Duration {
	if r.jitter <= 0 {
		return 0
	}
	var b [8]byte
	rand.Read(b[:])
	return time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(r.jitter+1))
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// tinyReadBuffer is the receive buffer of a client that never reads: the
// kernel's buffers fill at once and the board's writes block, so whatever
// the board holds for the client stays in its memory.
const tinyReadBuffer = 1024

// dialTiny dials the board from a TCP socket with a tiny receive buffer,
// from the loopback address local ("": the system's choice).
func dialTiny(ctx context.Context, local, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := conn.(*net.TCPConn).SetReadBuffer(tinyReadBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// memoryFlags are the flags of the two memory phases.
type memoryFlags struct {
	common
	pid     int
	n       int
	sources int
	hold    time.Duration
	settle  time.Duration
}

// newMemoryPhase returns the flag set of the memory phase name, with the
// flags of m registered; -n defaults to n.
func newMemoryPhase(name string, n int) (fs *flag.FlagSet, m *memoryFlags) {
	fs, m = flag.NewFlagSet(name, flag.ExitOnError), new(memoryFlags)
	m.common.register(fs, 90*time.Second)
	fs.IntVar(&m.pid, "pid", 0, "the board's process id, for its RSS")
	fs.IntVar(&m.n, "n", n, "attacking clients")
	fs.IntVar(&m.sources, "sources", 1, "spread the clients over this many loopback source addresses, 127.0.1.1 on (at most 250; 1: the system's choice)")
	fs.DurationVar(&m.hold, "hold", 15*time.Second, "how long the clients hold on")
	fs.DurationVar(&m.settle, "settle", 5*time.Second, "wait before the idle and after readings")
	return fs, m
}

// run is common.run that checks the memory flags too.
func (m *memoryFlags) run(ctx context.Context, fs *flag.FlagSet, args []string, phase func(ctx context.Context) error) error {
	return m.common.run(ctx, fs, args, func(ctx context.Context) error {
		if m.pid == 0 {
			return fmt.Errorf("-pid is required")
		}
		if m.sources < 1 || m.sources > 250 {
			return fmt.Errorf("-sources %d: want 1 to 250", m.sources)
		}
		return phase(ctx)
	})
}

// source returns the source address of client i: with -sources K > 1,
// 127.0.1.1 to 127.0.1.K in turn (all of 127.0.0.0/8 is loopback on
// Linux), as an attacker with K addresses, whom no per-address limit
// stops, would spread them.
func (m *memoryFlags) source(i int) string {
	if m.sources <= 1 {
		return ""
	}
	return fmt.Sprintf("127.0.1.%d", 1+i%m.sources)
}

// from describes the clients' source addresses.
func (m *memoryFlags) from() string {
	if m.sources <= 1 {
		return "from one address"
	}
	return fmt.Sprintf("from %d addresses", m.sources)
}

// memoryReport prints the result line of a memory phase and adds its
// summary rows.
func memoryReport(m *memoryFlags, name, what string, idle, peak, after float64, w *watch, extra string) {
	over := peak - idle
	fmt.Printf("%s: %s held %v: board RSS idle %.0f MB, peak %.0f MB (+%.0f MB over idle), after %.0f MB (%v after release); aim < +300 MB: %s\n",
		name, what, m.hold, idle, peak, over, after, m.settle, verdict(over < 300))
	fmt.Printf("%s: during the hold %s%s\n", name, w.health(), extra)
	addSummary(m.summary, name+": RSS idle / peak / after", fmt.Sprintf("%.0f / %.0f / %.0f MB (+%.0f MB)", idle, peak, after, over), "< +300 MB: "+verdict(over < 300))
}

// cmdReaders is phase 1a, memory exhaustion through reads: -n connections
// (from -sources addresses) each send GET /records?start=0&end=1000, one
// full page (with ballots of about 6.3 KB a record, some 6.3 MB), and read
// nothing of the answer during the -hold, their receive buffers tiny. A
// board that builds each page in memory before writing it holds every page
// until the client reads or the board gives up on it. The phase reports the
// board's RSS (VmRSS, sampled every 100 ms, and VmHWM where it can be
// reset) at idle before, at peak during the hold, and -settle after the
// connections close, and whether /healthz kept answering. After the hold,
// before closing, it reads the status line each connection got (200, or a
// refusal such as 429 or 503, or none), and reports the board's
// evote_board_pages gauge (pages it was still sending) where it has one.
func cmdReaders(ctx context.Context, args []string) error {
	fs, m := newMemoryPhase("readers", 150)
	page := fs.Int("page", 1000, "records asked for per request")
	return m.run(ctx, fs, args, func(ctx context.Context) error {
		// One honest read of the page, to say how big it is.
		path := fmt.Sprintf("/records?start=0&end=%d", *page)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(m.url + path)
		if err != nil {
			return err
		}
		size, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		records := resp.Header.Get("Evote-Next")

		idle, err := settle(ctx, m.pid, m.settle)
		if err != nil {
			return err
		}
		w := startWatch(m.pid, m.url)
		req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hostileload\r\n\r\n", path, hostPort(m.url))
		var conns []net.Conn
		failed := map[string]int{}
		for i := range m.n {
			conn, err := dialTiny(ctx, m.source(i), hostPort(m.url))
			if err == nil {
				conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				_, err = io.WriteString(conn, req)
			}
			if err != nil {
				failed[shortErr(err)]++
				if conn != nil {
					conn.Close()
				}
				continue
			}
			conns = append(conns, conn)
		}
		select {
		case <-time.After(m.hold):
		case <-ctx.Done():
		}
		pages := gauge(m.url, "evote_board_pages")
		peak, werr := w.end()
		answers := statusLines(conns)
		for _, conn := range conns {
			conn.Close()
		}
		if werr != nil {
			return werr
		}
		after, err := settle(ctx, m.pid, m.settle)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("%d connections %s × GET %s (page of %s records, %.1f MB) unread, %d failed to connect (%s),",
			len(conns), m.from(), path, records, float64(size)/(1<<20), m.n-len(conns), counts(failed))
		memoryReport(m, "readers", what, idle, peak, after, w,
			fmt.Sprintf("; the board's answers (status lines read after the hold): %s; pages it was still sending at the end of the hold: %s", counts(answers), pages))
		return checkAlive(ctx, m.url)
	})
}

// cmdFeeds is phase 1b, memory exhaustion through the feed: -n websocket
// subscribers (from -sources addresses) to GET /feed?from=0 that never
// read, their receive buffers tiny. Each makes the board read pages of records from the log to send;
// the phase reports the board's RSS as readers does, and how many feeds
// the board still held at the end of the hold (its /metrics gauge
// evote_board_feeds: the board drops a subscriber that leaves a message
// unread for its feed write timeout).
func cmdFeeds(ctx context.Context, args []string) error {
	fs, m := newMemoryPhase("feeds", 200)
	return m.run(ctx, fs, args, func(ctx context.Context) error {
		idle, err := settle(ctx, m.pid, m.settle)
		if err != nil {
			return err
		}
		w := startWatch(m.pid, m.url)
		feedURL := "ws://" + hostPort(m.url) + "/feed?from=0"
		var mu sync.Mutex
		var conns []*websocket.Conn
		failed := map[string]int{}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 20)
		for i := range m.n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				dialer := &websocket.Dialer{
					HandshakeTimeout: 5 * time.Second,
					NetDialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
						return dialTiny(ctx, m.source(i), addr)
					},
				}
				conn, resp, err := dialer.DialContext(ctx, feedURL, nil)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed[handshakeErr(resp, err)]++
					return
				}
				conns = append(conns, conn) // and never read from it
			}()
		}
		wg.Wait()
		select {
		case <-time.After(m.hold):
		case <-ctx.Done():
		}
		held := gauge(m.url, "evote_board_feeds")
		peak, werr := w.end()
		for _, conn := range conns {
			conn.NetConn().Close()
		}
		if werr != nil {
			return werr
		}
		after, err := settle(ctx, m.pid, m.settle)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("%d websocket subscribers %s to /feed?from=0 never reading, %d refused (%s),", len(conns), m.from(), m.n-len(conns), counts(failed))
		memoryReport(m, "feeds", what, idle, peak, after, w, fmt.Sprintf("; feeds the board still held at the end of the hold: %s", held))
		return checkAlive(ctx, m.url)
	})
}

// statusLines reads the HTTP status line each connection has received, in
// parallel, each within 2 s: "200", "429", …, "closed" (the board closed
// the connection without a status) or "none" (nothing arrived).
func statusLines(conns []net.Conn) map[string]int {
	out := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 12) // "HTTP/1.1 200"
			n, err := io.ReadFull(conn, buf)
			status := "closed"
			var ne net.Error
			switch {
			case n == len(buf) && strings.HasPrefix(string(buf), "HTTP/1.1 "):
				status = string(buf[9:])
			case n > 0:
				status = fmt.Sprintf("garbled %q", buf[:n])
			case errors.As(err, &ne) && ne.Timeout():
				status = "none"
			}
			mu.Lock()
			out[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// gauge returns the board's /metrics gauge name, or "n/a" if it has none.
func gauge(board, name string) string {
	hc := &http.Client{Timeout: 3 * time.Second}
	resp, err := hc.Get(board + "/metrics")
	if err != nil {
		return "? (" + shortErr(err) + ")"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "n/a"
}

// handshakeErr names why a websocket handshake failed: the HTTP status and
// the board's error code, or the error.
func handshakeErr(resp *http.Response, err error) string {
	if resp == nil {
		return shortErr(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

// shortErr shortens a network error to its last clause.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

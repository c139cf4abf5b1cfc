package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
)

// parkedFrom is an index far past the end of any test log: a subscription
// from there waits for records that will never come.
const parkedFrom = 999999999

// wsDialer returns a websocket dialer whose connections leave from the
// loopback address local (all of 127.0.0.0/8 is loopback on Linux), so
// that the board sees a distinct client address.
func wsDialer(local string) *websocket.Dialer {
	nd := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: nd.DialContext}
}

// cmdFeedSlots is phase 3, feed slots: the board serves a bounded number
// of feed subscribers. From one source address (127.0.0.1) the phase opens
// subscriptions parked at from=999999999 until the board refuses one (or
// -max are open); a board that refuses to park a subscriber past the end
// of its log gets them parked at its end instead, where they wait for new
// records. Each parked subscriber reads, so it answers the board's pings
// like a live client. While that address holds its slots, -observers
// observers from other addresses (127.0.0.2, 127.0.0.3, …) subscribe from
// index 0 and read: one is served if a record arrives within 5 s. First of
// all it reports what the board answers to a subscription past the end of
// its log: an HTTP status, a close frame (code and text), or silence.
func cmdFeedSlots(ctx context.Context, args []string) error {
	fs, c := newPhase("feedslots", 90*time.Second)
	maxHold := fs.Int("max", 1000, "most subscriptions the one address opens")
	observers := fs.Int("observers", 20, "observers from other addresses")
	return c.run(ctx, fs, args, func(ctx context.Context) error {
		if *observers < 0 || *observers > 250 {
			return fmt.Errorf("-observers %d: want 0 to 250", *observers)
		}
		host := hostPort(c.url)

		// What does a subscription past the end get?
		answer, noPark := probePastEnd(ctx, fmt.Sprintf("ws://%s/feed?from=%d", host, parkedFrom))
		fmt.Printf("feedslots: a subscription at from=%d (past the end of the log): %s\n", parkedFrom, answer)
		addSummary(c.summary, "feed past the end of the log", answer, "")
		time.Sleep(300 * time.Millisecond) // for the board to free the probe's slot
		park := int64(parkedFrom)
		if noPark {
			// The board refuses to park there; an attacker parks at the end
			// of the log instead, where a subscriber waits for new records.
			var err error
			if park, err = logSize(ctx, c.url); err != nil {
				return err
			}
			fmt.Printf("feedslots: so the one address parks its feeds at the end of the log instead (from=%d)\n", park)
		}

		// One address takes the slots.
		holder := wsDialer("127.0.0.1")
		var conns []*websocket.Conn
		var closedByBoard atomic.Int64
		refusal := ""
		t0 := time.Now()
		for len(conns) < *maxHold && ctx.Err() == nil {
			conn, resp, err := holder.DialContext(ctx, fmt.Sprintf("ws://%s/feed?from=%d", host, park), nil)
			if err != nil {
				refusal = handshakeErr(resp, err)
				break
			}
			conns = append(conns, conn)
			go func() {
				// Read, so as to answer pings; nothing else should come.
				for {
					if _, _, err := conn.NextReader(); err != nil {
						if !errors.Is(err, net.ErrClosed) {
							closedByBoard.Add(1)
						}
						return
					}
				}
			}()
		}
		defer func() {
			for _, conn := range conns {
				conn.Close()
			}
		}()
		if refusal == "" {
			refusal = fmt.Sprintf("none (stopped at -max %d)", *maxHold)
		}
		fmt.Printf("feedslots: one address (127.0.0.1) opened %d parked feeds in %.1fs; the board's first refusal: %s; board's open-feed gauge: %s\n",
			len(conns), time.Since(t0).Seconds(), refusal, gauge(c.url, "evote_board_feeds"))

		// Other addresses try to follow the board.
		served := 0
		refused := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range *observers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := fmt.Sprintf("127.0.0.%d", 2+i)
				ok, why := observe(ctx, wsDialer(local), fmt.Sprintf("ws://%s/feed?from=0", host))
				mu.Lock()
				defer mu.Unlock()
				if ok {
					served++
				} else {
					refused[why]++
				}
			}()
		}
		wg.Wait()
		fmt.Printf("feedslots: while 127.0.0.1 holds %d feeds, observers from %d other addresses: %d served, %d refused (%s); parked feeds the board closed meanwhile: %d\n",
			len(conns), *observers, served, *observers-served, counts(refused), closedByBoard.Load())
		addSummary(c.summary, "feed slots: one address holds", fmt.Sprintf("%d feeds (refusal: %s)", len(conns), refusal), "")
		addSummary(c.summary, "feed slots: other observers served", fmt.Sprintf("%d of %d", served, *observers), fmt.Sprintf("all %d: %s", *observers, verdict(served == *observers)))
		return checkAlive(ctx, c.url)
	})
}

// probePastEnd subscribes once at url and describes the board's answer
// within 3 s. refused reports that the board would not park a subscriber
// there: it refused the handshake (other than for want of slots) or closed
// the feed.
func probePastEnd(ctx context.Context, url string) (answer string, refused bool) {
	conn, resp, err := wsDialer("127.0.0.1").DialContext(ctx, url, nil)
	if err != nil {
		full := resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable)
		return "handshake refused: " + handshakeErr(resp, err), !full
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, msg, err := conn.ReadMessage()
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case err == nil:
		return fmt.Sprintf("101 Switching Protocols, then a message: %.200s", msg), false
	case errors.As(err, &ce):
		return fmt.Sprintf("101 Switching Protocols, then close code %d %q", ce.Code, ce.Text), true
	case errors.As(err, &ne) && ne.Timeout():
		return "101 Switching Protocols, then nothing for 3s: parked, holding a feed slot", false
	default:
		return "101 Switching Protocols, then " + shortErr(err), true
	}
}

// logSize returns the size of the board's log, from /healthz.
func logSize(ctx context.Context, board string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", board+"/healthz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var h bulletin.HealthResponse
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return 0, fmt.Errorf("/healthz: %v", err)
	}
	return h.Size, nil
}

// observe subscribes at url and reports whether a message arrived within
// 5 s, or why not.
func observe(ctx context.Context, d *websocket.Dialer, url string) (bool, string) {
	conn, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return false, handshakeErr(resp, err)
		}
		return false, shortErr(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return false, fmt.Sprintf("closed %d %q", ce.Code, ce.Text)
		}
		return false, "no message: " + shortErr(err)
	}
	return true, ""
}

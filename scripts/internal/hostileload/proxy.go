package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// cmdProxy is phase 4, rate limiting behind a proxy. A reverse proxy in
// front of the board makes every client's requests come from one peer
// address, each with the client's address in X-Forwarded-For. The phase
// simulates that: -requests requests to GET /checkpoint from the peer
// -peer, spread over -clients distinct forwarded addresses, sent as fast
// as -workers clients can, so that each forwarded client sends far fewer
// than the board's default burst. If they share one bucket (the peer's),
// many get 429; if the board keys its limiter on the forwarded address,
// none do. With -single N it also sends N requests from one forwarded
// client (is one client still limited behind the proxy?), and with -spoof
// ADDR N requests from the untrusted peer ADDR carrying -clients distinct
// X-Forwarded-For values (can a client without the proxy pick its bucket?).
// Run it once per board configuration (-label names it).
func cmdProxy(ctx context.Context, args []string) error {
	fs, c := newPhase("proxy", time.Minute)
	label := fs.String("label", "", "the board's configuration, for the result lines")
	peer := fs.String("peer", "127.0.0.1", "loopback address the simulated proxy sends from")
	clients := fs.Int("clients", 50, "distinct forwarded client addresses")
	requests := fs.Int("requests", 500, "requests through the proxy, spread over the clients")
	workers := fs.Int("workers", 25, "concurrent requests")
	single := fs.Int("single", 0, "also send this many requests from one forwarded client")
	spoof := fs.String("spoof", "", "also send -requests requests from this untrusted loopback address with forged X-Forwarded-For")
	return c.run(ctx, fs, args, func(ctx context.Context) error {

		res := burst(ctx, c.url, *peer, *requests, *workers, func(i int) string { return fmt.Sprintf("198.51.100.%d", 1+i%*clients) })
		shared := res.limited > 0
		fmt.Printf("proxy [%s]: %d requests from peer %s for %d forwarded clients (%d each, under the default burst) in %.2fs: %d × 200, %d × 429, other %s → one shared bucket: %s\n",
			*label, *requests, *peer, *clients, *requests / *clients, res.elapsed.Seconds(), res.ok, res.limited, counts(res.other), yesNo(shared))
		addSummary(c.summary, fmt.Sprintf("proxy [%s]: 429s for %d forwarded clients", *label, *clients),
			fmt.Sprintf("%d of %d (shared bucket: %s)", res.limited, *requests, yesNo(shared)), "0 (own buckets): "+verdict(!shared))
		if *single > 0 {
			res := burst(ctx, c.url, *peer, *single, *workers, func(int) string { return "203.0.113.7" })
			fmt.Printf("proxy [%s]: %d requests from peer %s for one forwarded client in %.2fs: %d × 200, %d × 429, other %s → that client is still rate limited: %s\n",
				*label, *single, *peer, res.elapsed.Seconds(), res.ok, res.limited, counts(res.other), yesNo(res.limited > 0))
			addSummary(c.summary, fmt.Sprintf("proxy [%s]: 429s for one forwarded client", *label), fmt.Sprintf("%d of %d", res.limited, *single), "> 0: "+verdict(res.limited > 0))
		}
		if *spoof != "" {
			res := burst(ctx, c.url, *spoof, *requests, *workers, func(i int) string { return fmt.Sprintf("192.0.2.%d", 1+i%*clients) })
			fmt.Printf("proxy [%s]: %d requests from untrusted peer %s forging %d X-Forwarded-For values in %.2fs: %d × 200, %d × 429, other %s → forged header ignored: %s\n",
				*label, *requests, *spoof, *clients, res.elapsed.Seconds(), res.ok, res.limited, counts(res.other), yesNo(res.limited > 0))
			addSummary(c.summary, fmt.Sprintf("proxy [%s]: 429s for forged X-Forwarded-For", *label), fmt.Sprintf("%d of %d", res.limited, *requests), "> 0: "+verdict(res.limited > 0))
		}
		return checkAlive(ctx, c.url)
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

type burstResult struct {
	ok, limited int
	other       map[string]int
	elapsed     time.Duration
}

// burst sends n GET /checkpoint requests from the loopback address local,
// request i carrying X-Forwarded-For: xff(i), and counts the answers.
func burst(ctx context.Context, board, local string, n, workers int, xff func(int) string) burstResult {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: workers}}
	defer hc.CloseIdleConnections()
	var next atomic.Int64
	var mu sync.Mutex
	res := burstResult{other: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				status := "error"
				req, err := http.NewRequestWithContext(ctx, "GET", board+"/checkpoint", nil)
				if err == nil {
					req.Header.Set("X-Forwarded-For", xff(i))
					var resp *http.Response
					if resp, err = hc.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						status = strconv.Itoa(resp.StatusCode)
					}
				}
				mu.Lock()
				switch status {
				case "200":
					res.ok++
				case "429":
					res.limited++
				default:
					res.other[status]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

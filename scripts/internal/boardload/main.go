// Command boardload posts signed records to a bulletin board over HTTP from
// several concurrent posters, for load benchmarks and crash tests. Every
// acknowledged record (201 response) is written, as its canonical JSON line,
// to -acked, so a crash test can prove none was lost.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/evote/evote/bulletin"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "board base URL")
	posters := flag.Int("posters", 8, "concurrent posters")
	duration := flag.Duration("duration", 10*time.Second, "how long to post")
	maxRecords := flag.Int64("max", 0, "stop after this many acknowledged records in total (0: no limit)")
	acked := flag.String("acked", "", "file to append acknowledged records to (JSON Lines)")
	pad := flag.Int("pad", 40, "extra payload bytes per record")
	presign := flag.Int("presign", 0, "sign this many records per poster before starting the clock (0: sign while posting)")
	run := flag.String("run", fmt.Sprint(time.Now().UnixNano()), "run name, makes authors and payloads unique")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var out *bufio.Writer
	if *acked != "" {
		f, err := os.OpenFile(*acked, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "boardload: %v\n", err)
			os.Exit(1)
		}
		defer f.Close()
		out = bufio.NewWriter(f)
		defer out.Flush()
	}
	ackc := make(chan []byte, 4096)
	var writerDone sync.WaitGroup
	writerDone.Add(1)
	go func() {
		defer writerDone.Done()
		for line := range ackc {
			if out != nil {
				out.Write(line)
				out.WriteByte('\n')
			}
		}
	}()

	tr := &http.Transport{MaxIdleConns: *posters * 2, MaxIdleConnsPerHost: *posters * 2, IdleConnTimeout: 30 * time.Second}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		ok, fails, rejected, overloaded atomic.Int64
		mu                              sync.Mutex
		lat                             []time.Duration
		errSample                       = map[string]int{}
	)
	padding := strings.Repeat("x", *pad)
	keys := make([]ed25519.PrivateKey, *posters)
	bodies := make([][][]byte, *posters)
	for p := range keys {
		seed := sha256.Sum256(fmt.Appendf(nil, "boardload %s poster %d", *run, p))
		keys[p] = ed25519.NewKeyFromSeed(seed[:])
	}
	body := func(p, seq int) []byte {
		if seq < len(bodies[p]) {
			return bodies[p][seq]
		}
		payload := fmt.Appendf(nil, `{"run":%q,"poster":%d,"seq":%d,"pad":%q}`, *run, p, seq, padding)
		b, _ := bulletin.Sign(keys[p], "load-test", payload).MarshalJSON()
		return b
	}
	if *presign > 0 {
		var pw sync.WaitGroup
		for p := range bodies {
			pw.Add(1)
			go func() {
				defer pw.Done()
				for seq := 0; seq < *presign; seq++ {
					bodies[p] = append(bodies[p], body(p, seq))
				}
			}()
		}
		pw.Wait()
	}
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < *posters; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for seq := 0; ctx.Err() == nil; seq++ {
				if *maxRecords > 0 && ok.Load() >= *maxRecords {
					return
				}
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", *url+"/records", bytes.NewReader(body(p, seq)))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					fails.Add(1)
					note(&mu, errSample, "transport: "+shortErr(err))
					time.Sleep(20 * time.Millisecond)
					continue
				}
				data, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				switch {
				case resp.StatusCode == http.StatusCreated && rerr == nil:
					var ar bulletin.AppendResponse
					if err := json.Unmarshal(data, &ar); err != nil {
						fails.Add(1)
						note(&mu, errSample, "bad 201 body")
						continue
					}
					ok.Add(1)
					mine = append(mine, d)
					ackc <- []byte(ar.Record)
				case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
					overloaded.Add(1)
					time.Sleep(10 * time.Millisecond)
				case resp.StatusCode >= 400 && resp.StatusCode < 500:
					rejected.Add(1)
					note(&mu, errSample, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data)))
				default:
					fails.Add(1)
					note(&mu, errSample, fmt.Sprintf("HTTP %d", resp.StatusCode))
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(ackc)
	writerDone.Wait()

	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	fmt.Printf("posters=%d duration=%.1fs acked=%d rate=%.0f/s p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms overloaded=%d rejected=%d failed=%d\n",
		*posters, elapsed.Seconds(), ok.Load(), float64(ok.Load())/elapsed.Seconds(),
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(1)), overloaded.Load(), rejected.Load(), fails.Load())
	for k, n := range errSample {
		fmt.Printf("  error x%d: %s\n", n, k)
	}
	if rejected.Load() > 0 {
		os.Exit(2)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func note(mu *sync.Mutex, m map[string]int, s string) {
	mu.Lock()
	defer mu.Unlock()
	if len(m) < 10 || m[s] > 0 {
		m[s]++
	}
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

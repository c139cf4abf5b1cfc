// Command ballotload measures how fast a bulletin board running the
// election rules accepts ballots with full validation. It sets up an
// election on the board (definition, a 5-trustee ceremony, opening),
// encrypts one ballot per voter before the clock starts (one contest of 10
// options, pick up to 3), then posts them from concurrent clients over HTTP
// and reports ballots/s and latency percentiles. The posts are raw HTTP
// requests with pre-marshalled bodies, so that the load generator, which
// shares the machine, takes as little CPU from the board as it can; the
// board's answer must be 201 Created.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/scripts/internal/loadelection"
)

func main() {
	url := flag.String("url", "", "board base URL")
	vkey := flag.String("vkey", "", "board verifier key")
	voters := flag.Int("voters", 4000, "ballots to cast, one per voter")
	posters := flag.Int("posters", 32, "concurrent HTTP clients")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ballotload: ")
	if err := run(context.Background(), *url, *vkey, *voters, *posters); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, url, vkey string, voters, posters int) error {
	e, st, err := loadelection.Open(ctx, url, vkey, "ballot load", voters)
	if err != nil {
		return err
	}
	bodies, err := loadelection.EncryptBallots(ctx, st, e, e.Voters, loadelection.EncryptOptions{Progress: os.Stderr})
	if err != nil {
		return err
	}
	first, err := bulletin.ParseSubmission(bodies[0])
	if err != nil {
		return err
	}
	size := len(first.Payload)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: posters}}

	latencies := make([]time.Duration, voters)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				err := post(ctx, hc, url, bodies[i])
				latencies[i] = time.Since(t0)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("ballot %d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range voters {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(p*float64(len(latencies)-1))].Round(100 * time.Microsecond)
	}
	fmt.Printf("accepted=%d ballots in %.2fs rate=%.0f/s p50=%v p90=%v p99=%v max=%v (posters=%d, ballot payload %d bytes, full validation)\n",
		voters, elapsed.Seconds(), float64(voters)/elapsed.Seconds(), pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1].Round(100*time.Microsecond), posters, size)
	return nil
}

// post sends one submission and checks that the board created its record.
func post(ctx context.Context, hc *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/records", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("board answered %s: %s", resp.Status, msg)
	}
	return nil
}

// Command ballotload measures how fast a bulletin board running the
// election rules accepts ballots with full validation. It sets up an
// election on the board (definition, a 5-trustee ceremony, opening),
// encrypts one ballot per voter before the clock starts (one contest of 10
// options, pick up to 3), then posts them from concurrent clients over HTTP
// and reports ballots/s and latency percentiles. The posts are raw HTTP
// requests with pre-marshalled bodies, so that the load generator, which
// shares the machine, takes as little CPU from the board as it can; the
// board's answer must be 201 Created.
//
// With several URLs (-url a,b,c: the operators of one replicated board),
// the election is set up through the first, whose checkpoints -vkey
// verifies, and the clients are spread over them round robin: client k
// posts to URL k mod n.
//
// It prints one line: accepted, refused (an HTTP answer other than 201)
// and failed (no answer) ballots, the rate of accepted ballots over the
// whole run, and the latency percentiles from post to receipt of the
// accepted ones. It exits with status 1 after that line if any ballot was
// not accepted, naming the first such.
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
	"strings"
	"sync"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/scripts/internal/loadelection"
)

func main() {
	urls := flag.String("url", "", "board base URL, or a comma-separated list of the operators' URLs of one replicated board")
	vkey := flag.String("vkey", "", "board verifier key")
	voters := flag.Int("voters", 4000, "ballots to cast, one per voter")
	posters := flag.Int("posters", 32, "concurrent HTTP clients")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ballotload: ")
	if err := run(context.Background(), strings.Split(*urls, ","), *vkey, *voters, *posters); err != nil {
		log.Fatal(err)
	}
}

// outcome is what became of one posted ballot.
type outcome struct {
	latency time.Duration
	err     error
	refused bool // the board answered, with a status other than 201
}

// run sets up the election through urls[0], posts one ballot per voter
// from posters clients spread over urls, and prints the line described in
// the package comment.
func run(ctx context.Context, urls []string, vkey string, voters, posters int) error {
	e, st, err := loadelection.Open(ctx, urls[0], vkey, "ballot load", voters)
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

	outcomes := make([]outcome, voters)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for k := range posters {
		url := urls[k%len(urls)]
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				refused, err := post(ctx, hc, url, bodies[i])
				outcomes[i] = outcome{latency: time.Since(t0), err: err, refused: refused}
			}
		})
	}
	for i := range voters {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	var latencies []time.Duration
	var refused, failed int
	var firstErr error
	for i, o := range outcomes {
		switch {
		case o.err == nil:
			latencies = append(latencies, o.latency)
			continue
		case o.refused:
			refused++
		default:
			failed++
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("ballot %d: %w", i, o.err)
		}
	}
	if len(latencies) == 0 {
		return fmt.Errorf("no ballot accepted: %w", firstErr)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(p*float64(len(latencies)-1))].Round(100 * time.Microsecond)
	}
	fmt.Printf("accepted=%d refused=%d failed=%d ballots in %.2fs rate=%.0f/s p50=%v p90=%v p99=%v max=%v (posters=%d over %d URLs, ballot payload %d bytes, full validation)\n",
		len(latencies), refused, failed, elapsed.Seconds(), float64(len(latencies))/elapsed.Seconds(),
		pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1].Round(100*time.Microsecond), posters, len(urls), size)
	return firstErr
}

// post sends one submission and checks that the board created its record.
// refused says that the board answered, with a status other than 201.
func post(ctx context.Context, hc *http.Client, url string, body []byte) (refused bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/records", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return true, fmt.Errorf("%s answered %s: %s", url, resp.Status, msg)
	}
	return false, nil
}

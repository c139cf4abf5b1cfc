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
// With -failover, a ballot that a URL does not answer, or answers with a
// 5xx, is posted to the next URL (up to every URL once), as a voter's
// client falls over between operators; a duplicate refusal after such a
// failover counts as accepted (the ballot is on the board). With -acked
// FILE, the record of every ballot acknowledged with 201 Created is
// written to FILE, one per line, as the board sent it, so that a script
// can check that none of them is lost.
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
	"encoding/json"
	"errors"
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
	failover := flag.Bool("failover", false, "post a ballot that a URL does not acknowledge to the next URL")
	acked := flag.String("acked", "", "`FILE` to write the record of every acknowledged ballot to")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ballotload: ")
	if err := run(context.Background(), strings.Split(*urls, ","), *vkey, *voters, *posters, *failover, *acked); err != nil {
		log.Fatal(err)
	}
}

// outcome is what became of one posted ballot.
type outcome struct {
	latency time.Duration
	err     error
	refused bool   // the board answered, with a status other than 201
	record  []byte // the record of a 201 answer
	moved   int    // failovers to another URL
}

// run sets up the election through urls[0], posts one ballot per voter
// from posters clients spread over urls, and prints the line described in
// the package comment.
func run(ctx context.Context, urls []string, vkey string, voters, posters int, failover bool, ackedPath string) error {
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
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				var o outcome
				for try := range len(urls) {
					url := urls[(k+try)%len(urls)]
					o.record, o.refused, o.err = post(ctx, hc, url, bodies[i])
					if o.err == nil || !failover || o.refused && !serverError(o.err) {
						break
					}
					o.moved++
				}
				if o.moved > 0 && o.refused && strings.Contains(o.err.Error(), `"code":"duplicate"`) {
					o.err, o.refused = nil, false // on the board, posted before the failover
				}
				o.latency = time.Since(t0)
				outcomes[i] = o
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
	var refused, failed, moved int
	var firstErr error
	var acked bytes.Buffer
	for i, o := range outcomes {
		moved += o.moved
		switch {
		case o.err == nil:
			latencies = append(latencies, o.latency)
			if o.record != nil {
				acked.Write(o.record)
				acked.WriteByte('\n')
			}
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
	if ackedPath != "" {
		if err := os.WriteFile(ackedPath, acked.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if len(latencies) == 0 {
		return fmt.Errorf("no ballot accepted: %w", firstErr)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(p*float64(len(latencies)-1))].Round(100 * time.Microsecond)
	}
	fmt.Printf("accepted=%d refused=%d failed=%d failovers=%d ballots in %.2fs rate=%.0f/s p50=%v p90=%v p99=%v max=%v (posters=%d over %d URLs, ballot payload %d bytes, full validation)\n",
		len(latencies), refused, failed, moved, elapsed.Seconds(), float64(len(latencies))/elapsed.Seconds(),
		pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1].Round(100*time.Microsecond), posters, len(urls), size)
	return firstErr
}

// post sends one submission and checks that the board created its record,
// which it returns. refused says that the board answered, with a status
// other than 201.
func post(ctx context.Context, hc *http.Client, url string, body []byte) (record []byte, refused bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, attempt)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/records", bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, fmt.Errorf("%s: reading the answer: %w", url, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, true, &statusError{url: url, status: resp.StatusCode, msg: msg}
	}
	var ar bulletin.AppendResponse
	if err := json.Unmarshal(msg, &ar); err != nil {
		return nil, true, fmt.Errorf("%s: decoding the answer: %w", url, err)
	}
	return ar.Record, false, nil
}

// attempt bounds the wait for one URL's answer.
const attempt = 30 * time.Second

// statusError is an answer other than 201 Created.
type statusError struct {
	url    string
	status int
	msg    []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s answered %d %s: %s", e.url, e.status, http.StatusText(e.status), e.msg)
}

// serverError reports whether err is a 5xx answer.
func serverError(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.status >= 500
}

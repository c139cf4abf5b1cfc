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
// With -failover, a ballot that a URL does not answer (within -attempt,
// 30 s by default), or answers with a 5xx, is posted to the next URL (up to every URL once), as a voter's
// client falls over between operators; a duplicate refusal after such a
// failover counts as accepted (the ballot is on the board). With -acked
// FILE, the record of every ballot acknowledged with 201 Created is
// written to FILE, one per line, as the board sent it, so that a script
// can check that none of them is lost. With -trace FILE, one line per
// ballot goes to FILE, in the order the ballots were handed to the
// clients: the Unix times in milliseconds at which it was first posted
// and at which its last attempt ended, its outcome (accepted, refused or
// failed) and the number of failovers, so that a script can cut the run
// into phases (scripts/replica-machines.sh).
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
	attempt := flag.Duration("attempt", 30*time.Second, "how long to wait for one URL's answer")
	trace := flag.String("trace", "", "`FILE` to write each ballot's post time, end time, outcome and failovers to")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ballotload: ")
	if err := run(context.Background(), strings.Split(*urls, ","), *vkey, *voters, *posters, *failover, *attempt, *acked, *trace); err != nil {
		log.Fatal(err)
	}
}

// outcome is what became of one posted ballot.
type outcome struct {
	start   time.Time // first posted
	latency time.Duration
	err     error
	refused bool   // the board answered, with a status other than 201
	record  []byte // the record of a 201 answer
	moved   int    // failovers to another URL
}

// verdict names the outcome in a -trace line: accepted, refused or
// failed.
func (o outcome) verdict() string {
	switch {
	case o.err == nil:
		return accepted
	case o.refused:
		return refused
	default:
		return failed
	}
}

// The outcomes of a ballot.
const (
	accepted = "accepted" // acknowledged with 201 Created
	refused  = "refused"  // answered with another status
	failed   = "failed"   // not answered
)

// run sets up the election through urls[0], posts one ballot per voter
// from posters clients spread over urls, and prints the line described in
// the package comment.
func run(ctx context.Context, urls []string, vkey string, voters, posters int, failover bool, attempt time.Duration, ackedPath, tracePath string) error {
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
	// A script that acts during the load (replica-crash.sh,
	// replica-machines.sh) may wait for this line.
	log.Printf("posting %d ballots from %d clients", voters, posters)
	start := time.Now()
	for k := range posters {
		wg.Go(func() {
			for i := range next {
				var o outcome
				o.start = time.Now()
				for try := range len(urls) {
					url := urls[(k+try)%len(urls)]
					o.record, o.refused, o.err = post(ctx, hc, url, bodies[i], attempt)
					if o.err == nil || !failover || o.refused && !serverError(o.err) {
						break
					}
					o.moved++
				}
				if o.moved > 0 && o.refused && strings.Contains(o.err.Error(), `"code":"duplicate"`) {
					o.err, o.refused = nil, false // on the board, posted before the failover
				}
				o.latency = time.Since(o.start)
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
	var nRefused, nFailed, moved int
	var firstErr error
	var acked, trace bytes.Buffer
	for i, o := range outcomes {
		moved += o.moved
		fmt.Fprintf(&trace, "%d %d %s %d\n", o.start.UnixMilli(), o.start.Add(o.latency).UnixMilli(), o.verdict(), o.moved)
		switch o.verdict() {
		case accepted:
			latencies = append(latencies, o.latency)
			if o.record != nil {
				acked.Write(o.record)
				acked.WriteByte('\n')
			}
			continue
		case refused:
			nRefused++
		default:
			nFailed++
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("ballot %d: %w", i, o.err)
		}
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{ackedPath, acked.Bytes()}, {tracePath, trace.Bytes()}} {
		if f.path == "" {
			continue
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
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
		len(latencies), nRefused, nFailed, moved, elapsed.Seconds(), float64(len(latencies))/elapsed.Seconds(),
		pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1].Round(100*time.Microsecond), posters, len(urls), size)
	return firstErr
}

// post sends one submission and checks that the board created its record,
// which it returns; it waits for the answer up to attempt. refused says
// that the board answered, with a status other than 201.
func post(ctx context.Context, hc *http.Client, url string, body []byte, attempt time.Duration) (record []byte, refused bool, err error) {
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

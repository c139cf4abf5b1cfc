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
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/progress"
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

// tenPickThree is the benchmark's contest: 10 options, pick up to 3.
func tenPickThree() []ballot.Contest {
	c := ballot.Contest{ID: "council", Title: "Council", Kind: ballot.KindKOfN, MaxSelections: 3, OptionMax: 1}
	for i := range 10 {
		c.Options = append(c.Options, ballot.Option{ID: fmt.Sprintf("o%d", i), Title: fmt.Sprintf("Option %d", i)})
	}
	return []ballot.Contest{c}
}

func run(ctx context.Context, url, vkey string, voters, posters int) error {
	cl, err := client.New(url, vkey, nil)
	if err != nil {
		return err
	}
	f := follow.New(cl)
	// The setup's steps act on the records before them: each look at the
	// board waits for them (a board with witnesses serves the newest
	// checkpoint they cosigned, a moment after its latest record).
	var need follow.Need
	postRecord := func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		rec, receipt, err := cl.Post(ctx, sub)
		if err == nil {
			need.Cover(rec)
		}
		return rec, receipt, err
	}
	state := func(ctx context.Context) (*election.State, error) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		return f.SyncTo(ctx, need.Size())
	}
	e, err := simulate.New(ctx, postRecord, state, simulate.Options{
		Title: "ballot load", Voters: voters, Trustees: 5, Threshold: 3, Contests: tenPickThree(),
	})
	if err != nil {
		return err
	}
	if err := e.Ceremony(ctx); err != nil {
		return err
	}
	if err := e.SetPhase(ctx, election.PhaseOpen); err != nil {
		return err
	}
	st, err := state(ctx)
	if err != nil {
		return err
	}
	subs, err := encryptAll(st, e, voters)
	if err != nil {
		return err
	}
	size := len(subs[0].Payload)
	bodies := make([][]byte, len(subs))
	for i, s := range subs {
		if bodies[i], err = s.MarshalJSON(); err != nil {
			return err
		}
	}
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

// encryptAll encrypts and signs one random ballot per voter on all cores.
func encryptAll(st *election.State, e *simulate.Election, voters int) ([]*bulletin.Submission, error) {
	subs := make([]*bulletin.Submission, voters)
	errs := make([]error, voters)
	bar := progress.New(os.Stderr, "encrypting ballots")
	var done sync.WaitGroup
	var mu sync.Mutex
	count := int64(0)
	workers := runtime.NumCPU()
	for w := range workers {
		done.Add(1)
		go func() {
			defer done.Done()
			for v := w; v < voters; v += workers {
				b, _, err := st.EncryptBallot(e.Voters[v].Public, e.RandomChoices(), ballot.ConfirmationCode{})
				if err == nil {
					subs[v], err = election.NewSubmission(election.KeySigner(e.Voters[v].Private), election.TypeBallot, b)
				}
				errs[v] = err
				mu.Lock()
				count++
				if w == 0 {
					bar.Show(float64(count)/float64(voters), fmt.Sprintf("%d/%d", count, voters))
				}
				mu.Unlock()
			}
		}()
	}
	done.Wait()
	bar.Done(fmt.Sprintf("%d ballots", count))
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return subs, nil
}

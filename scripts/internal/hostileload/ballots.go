package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/evote/evote/bulletin"
)

// postResult is the board's answer to one ballot.
type postResult struct {
	status  string // "201", "503", …, or "timeout" / "error"
	code    string // the error body's code, for refusals
	latency time.Duration
}

// postBallot posts one submission body and returns what the board said.
func postBallot(ctx context.Context, hc *http.Client, board string, body []byte, since time.Time) postResult {
	req, err := http.NewRequestWithContext(ctx, "POST", board+"/records", bytes.NewReader(body))
	if err != nil {
		return postResult{status: "error"}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return postResult{status: "timeout", latency: time.Since(since)}
		}
		return postResult{status: "conn-error", latency: time.Since(since)}
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := postResult{status: strconv.Itoa(resp.StatusCode), latency: time.Since(since)}
	if resp.StatusCode != http.StatusCreated {
		var e bulletin.ErrorResponse
		if json.Unmarshal(msg, &e) == nil {
			r.code = e.Code
		}
	}
	return r
}

// cmdCapacity posts -n ballots closed loop from -posters clients, each
// posting its next ballot as soon as the board answered the last (as
// scripts/internal/ballotload does), and reports the rate of 201s: the
// board's capacity for ballots with full validation (signature,
// eligibility, every range proof, duplicates), with the load generator
// sharing the machine. It prints "capacity=R" for the script to pass on.
func cmdCapacity(ctx context.Context, args []string) error {
	fs, c := newPhase("capacity", 2*time.Minute)
	file := fs.String("ballots", "", "ballots `FILE` from setup")
	n := fs.Int("n", 3000, "ballots to post (the first n of the file)")
	posters := fs.Int("posters", 32, "concurrent clients")
	return c.run(ctx, fs, args, func(ctx context.Context) error {
		all, err := readBallots(*file, 0)
		if err != nil {
			return err
		}
		if len(all) < *n {
			return fmt.Errorf("%s holds %d ballots, fewer than -n %d", *file, len(all), *n)
		}
		bodies := all[:*n]
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *posters}}
		results := make([]postResult, len(bodies))
		next := make(chan int)
		var wg sync.WaitGroup
		start := time.Now()
		for range *posters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					results[i] = postBallot(ctx, hc, c.url, bodies[i], time.Now())
				}
			}()
		}
		for i := range bodies {
			next <- i
		}
		close(next)
		wg.Wait()
		elapsed := time.Since(start)
		var lat []time.Duration
		other := map[string]int{}
		for _, r := range results {
			if r.status == "201" {
				lat = append(lat, r.latency)
			} else {
				other[r.status+" "+r.code]++
			}
		}
		lat = sortedCopy(lat)
		rate := float64(len(lat)) / elapsed.Seconds()
		fmt.Printf("capacity: %d ballots closed loop from %d clients in %.1fs: %d × 201 = %.0f ballots/s with full validation, p50=%s p99=%s; other answers: %s\n",
			len(bodies), *posters, elapsed.Seconds(), len(lat), rate, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)), counts(other))
		fmt.Printf("capacity=%.0f\n", rate)
		addSummary(c.summary, "capacity (closed loop, full validation)", fmt.Sprintf("%.0f ballots/s, p99 %s", rate, ms(percentile(lat, 0.99))), "")
		if len(lat) == 0 {
			return errors.New("the board admitted no ballot")
		}
		return checkAlive(ctx, c.url)
	})
}

// pool is a FIFO of ballot bodies not yet admitted by the board.
type pool struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (p *pool) take() ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bodies) == 0 {
		return nil, false
	}
	b := p.bodies[0]
	p.bodies = p.bodies[1:]
	return b, true
}

func (p *pool) put(b []byte) {
	p.mu.Lock()
	p.bodies = append(p.bodies, b)
	p.mu.Unlock()
}

// cmdOverload posts ballots open loop, at -factors times the board's
// -capacity, each for its one of -durations: ballot i leaves at
// start + i/rate whatever the board's answers so far, as independent voters
// would, and its latency counts from that moment (so a board that stalls
// the sender is not flattered). Each ballot is a pre-encrypted one of a distinct voter who
// has not voted, so each is valid; a ballot refused with 503 "overloaded"
// (not admitted) goes back into the pool and may be sent again later.
// For each rate it reports the ballots sent, the 201s, the 503s and their
// share, the other answers, and the p50/p99 latency of the admitted
// ballots (the aim: p99 under 1 s) and of the refusals; with -pid,
// also the board's peak RSS and whether its /healthz kept answering.
func cmdOverload(ctx context.Context, args []string) error {
	fs, c := newPhase("overload", 2*time.Minute)
	file := fs.String("ballots", "", "ballots `FILE` from setup")
	skip := fs.Int("skip", 0, "ballots at the start of the file already posted (by capacity)")
	capacity := fs.Float64("capacity", 0, "the board's capacity in ballots/s (from capacity)")
	factorsFlag := fs.String("factors", "3,10", "comma-separated multiples of -capacity to post at")
	durationsFlag := fs.String("durations", "3s,2s", "comma-separated durations to post for, one per factor")
	pause := fs.Duration("pause", 3*time.Second, "rest between rates, for the board to drain")
	pid := fs.Int("pid", 0, "the board's process id, to report its peak RSS (optional)")
	return c.run(ctx, fs, args, func(ctx context.Context) error {
		if *capacity <= 0 {
			return errors.New("-capacity is required")
		}
		var factors []float64
		for f := range strings.SplitSeq(*factorsFlag, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v <= 0 {
				return fmt.Errorf("-factors %q: bad factor %q", *factorsFlag, f)
			}
			factors = append(factors, v)
		}
		var durations []time.Duration
		for f := range strings.SplitSeq(*durationsFlag, ",") {
			v, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil || v <= 0 {
				return fmt.Errorf("-durations %q: bad duration %q", *durationsFlag, f)
			}
			durations = append(durations, v)
		}
		if len(durations) != len(factors) {
			return fmt.Errorf("-durations %q: want one duration per factor of %q", *durationsFlag, *factorsFlag)
		}
		bodies, err := readBallots(*file, *skip)
		if err != nil {
			return err
		}
		p := &pool{bodies: bodies}
		fmt.Fprintf(os.Stderr, "overload: %d unposted ballots in the pool\n", len(bodies))
		hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8192, IdleConnTimeout: 10 * time.Second}}
		for i, f := range factors {
			if i > 0 {
				time.Sleep(*pause)
			}
			if err := overloadRun(ctx, hc, *c, *pid, p, f, f**capacity, durations[i]); err != nil {
				return err
			}
			if err := checkAlive(ctx, c.url); err != nil {
				return err
			}
		}
		return nil
	})
}

func overloadRun(ctx context.Context, hc *http.Client, c common, pid int, p *pool, factor, rate float64, d time.Duration) error {
	var w *watch
	var idle float64
	if pid != 0 {
		var err error
		if idle, err = rssMB(pid); err != nil {
			return err
		}
		w = startWatch(pid, c.url)
	}
	n := int(rate * d.Seconds())
	results := make([]postResult, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var maxLag time.Duration
	empty := 0
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	sent := 0
	for sent < n && ctx.Err() == nil {
		due := int(time.Since(start).Seconds() * rate)
		for ; sent < min(due, n); sent++ {
			at := start.Add(time.Duration(float64(sent) / rate * float64(time.Second)))
			maxLag = max(maxLag, time.Since(at))
			body, ok := p.take()
			if !ok {
				empty++
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := postBallot(ctx, hc, c.url, body, at)
				if r.status == "503" && r.code == "overloaded" {
					p.put(body) // not admitted: still a valid, unposted ballot
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}()
		}
		<-tick.C
	}
	tick.Stop()
	sendTime := time.Since(start)
	wg.Wait()
	drain := time.Since(start)

	var ok, refused []time.Duration
	other := map[string]int{}
	for _, r := range results {
		switch r.status {
		case "201":
			ok = append(ok, r.latency)
		case "503":
			refused = append(refused, r.latency)
			if r.code != "overloaded" {
				other["503 "+r.code]++
			}
		default:
			other[strings.TrimSpace(r.status+" "+r.code)]++
		}
	}
	ok, refused = sortedCopy(ok), sortedCopy(refused)
	total := len(results)
	share := func(k int) float64 {
		if total == 0 {
			return 0
		}
		return 100 * float64(k) / float64(total)
	}
	othersN := total - len(ok) - len(refused)
	p99 := percentile(ok, 0.99)
	fmt.Printf("overload %g× (%.0f ballots/s open loop for %v): sent %d in %.1fs (all answered after %.1fs); 201: %d (%.0f%%, %.0f/s admitted); 503: %d (%.0f%%); other: %d (%s)\n",
		factor, rate, d, total, sendTime.Seconds(), drain.Seconds(), len(ok), share(len(ok)), float64(len(ok))/drain.Seconds(), len(refused), share(len(refused)), othersN, counts(other))
	fmt.Printf("overload %g× latency: admitted (201) p50=%s p99=%s max=%s; refused (503) p50=%s p99=%s; aim p99 < 1s for admitted: %s\n",
		factor, ms(percentile(ok, 0.5)), ms(p99), ms(percentile(ok, 1)), ms(percentile(refused, 0.5)), ms(percentile(refused, 0.99)), verdict(len(ok) > 0 && p99 < time.Second))
	if w != nil {
		peak, err := w.end()
		if err != nil {
			return err
		}
		fmt.Printf("overload %g× board: RSS %.0f MB before, peak %.0f MB (+%.0f MB); %s\n", factor, idle, peak, peak-idle, w.health())
	}
	if maxLag > 50*time.Millisecond || empty > 0 {
		fmt.Printf("overload %g× note: the sender lagged its schedule by up to %s; %d sends skipped for want of an unposted ballot\n", factor, ms(maxLag), empty)
	}
	addSummary(c.summary, fmt.Sprintf("overload %g× (%.0f/s): 201 / 503 / other", factor, rate),
		fmt.Sprintf("%d / %d (%.0f%%) / %d", len(ok), len(refused), share(len(refused)), othersN), "")
	addSummary(c.summary, fmt.Sprintf("overload %g×: admitted p50 / p99", factor),
		fmt.Sprintf("%s / %s", ms(percentile(ok, 0.5)), ms(p99)), "p99 < 1s: "+verdict(len(ok) > 0 && p99 < time.Second))
	return nil
}

// Command witnessbench measures what witnesses cost a bulletin board: the
// time from a record's acknowledgement (durable in SQLite) to the first
// checkpoint covering it that a quorum of witnesses cosigned, with real
// litewitness processes (filippo.io/torchwood) on loopback. Records are
// appended at a steady rate by concurrent posters; it reports the latency
// percentiles and the rate achieved.
//
// With -serve DIR it instead runs witnesses for a board, for
// scripts/bench-board-ballots.sh: it creates them in DIR (or reuses
// those there), writes DIR/witnesses.txt for `evote board serve --witness
// @DIR/witnesses.txt`, prints "listening on …" and runs until interrupted.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/internal/litewitness"
)

func main() {
	n := flag.Int("n", 3, "witnesses")
	quorum := flag.Int("quorum", 2, "cosignatures a checkpoint needs")
	records := flag.Int("records", 3000, "records to append (latency mode)")
	rate := flag.Int("rate", 500, "records per second, all posters together (latency mode)")
	posters := flag.Int("posters", 16, "concurrent posters (latency mode)")
	serve := flag.String("serve", "", "run witnesses in `DIR` for the board of -board-key until interrupted")
	boardKey := flag.String("board-key", "", "the board's verifier key, with -serve")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("witnessbench: ")
	var err error
	if *serve != "" {
		err = runWitnesses(*serve, *boardKey, *n)
	} else {
		err = measure(*n, *quorum, *records, *rate, *posters)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// startWitnesses creates (or reopens) n witnesses in dir for the board of
// vkey and starts them. On error it stops those it started.
func startWitnesses(ctx context.Context, dir, vkey string, n int) (ws []*litewitness.Witness, err error) {
	defer func() {
		if err != nil {
			stopAll(ws)
		}
	}()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	bin, err := litewitness.Tools(ctx)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		wd := filepath.Join(dir, fmt.Sprintf("witness-%d", i))
		var w *litewitness.Witness
		if _, err := os.Stat(filepath.Join(wd, "name")); err == nil {
			w, err = litewitness.Open(wd, bin)
			if err != nil {
				return ws, err
			}
		} else if w, err = litewitness.Create(ctx, wd, fmt.Sprintf("witness-%d.bench", i), v.Name(), vkey, bin); err != nil {
			return ws, err
		}
		if err := w.Start("127.0.0.1:0"); err != nil {
			return ws, err
		}
		ws = append(ws, w)
	}
	return ws, litewitness.WriteFile(dir, ws)
}

// stopAll stops the witnesses ws.
func stopAll(ws []*litewitness.Witness) {
	for _, w := range ws {
		w.Stop()
	}
}

// runWitnesses runs n witnesses in dir for the board of vkey until
// interrupted.
func runWitnesses(dir, vkey string, n int) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := startWitnesses(ctx, dir, vkey, n)
	if err != nil {
		return err
	}
	defer stopAll(ws)
	fmt.Fprintf(os.Stderr, "witnessbench: %d witnesses listening on loopback; %s lists them\n", n, filepath.Join(dir, litewitness.File))
	<-ctx.Done()
	return nil
}

// measure appends records at rate with posters concurrent posters to a
// board witnessed by n witnesses and prints the latency from each
// acknowledgement to a quorum-cosigned checkpoint covering it.
func measure(n, quorum, records, rate, posters int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "witnessbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	skey, vkey, err := note.GenerateKey(rand.Reader, "witnessbench.example/board")
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	ws, err := startWitnesses(ctx, dir, vkey, n)
	if err != nil {
		return err
	}
	defer stopAll(ws)
	st, err := sqlite.Create(ctx, filepath.Join(dir, "board.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := bulletin.OpenLog(ctx, st, bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		return err
	}
	defer l.Close()
	var list []witness.Witness
	for _, w := range ws {
		v, err := fnote.NewVerifierForCosignatureV1(w.VKey)
		if err != nil {
			return err
		}
		list = append(list, witness.Witness{URL: w.URL, Verifier: v})
	}
	col := witness.New(l, list, witness.Options{Quorum: quorum})
	go col.Run(ctx)

	// The observer: when each cosigned size was first served.
	type seen struct {
		size int64
		at   time.Time
	}
	var (
		mu    sync.Mutex
		sizes []seen
	)
	go func() {
		var last int64
		for ctx.Err() == nil {
			if cp := col.Checkpoint(); cp != nil && cp.Size > last {
				last = cp.Size
				mu.Lock()
				sizes = append(sizes, seen{cp.Size, time.Now()})
				mu.Unlock()
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()

	type ack struct {
		index int64
		at    time.Time
	}
	acks := make([]ack, records)
	interval := time.Duration(float64(time.Second) * float64(posters) / float64(rate))
	start := time.Now()
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			next := start.Add(time.Duration(p) * interval / time.Duration(posters))
			for i := p; i < records; i += posters {
				time.Sleep(time.Until(next))
				next = next.Add(interval)
				sub := bulletin.Sign(keyOf(p), "bench", []byte(fmt.Sprintf(`{"n":%d}`, i)))
				rec, _, err := l.Append(ctx, sub)
				if err != nil {
					log.Fatal(err)
				}
				acks[i] = ack{int64(rec.Index), time.Now()}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cp := col.Checkpoint(); cp != nil && cp.Size >= l.Size() || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for _, a := range acks {
		k, _ := slices.BinarySearchFunc(sizes, a.index+1, func(s seen, size int64) int {
			return int(s.size - size)
		})
		if k == len(sizes) {
			return fmt.Errorf("record %d was never covered by a cosigned checkpoint", a.index)
		}
		lat = append(lat, max(0, sizes[k].at.Sub(a.at)))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(100 * time.Microsecond) }
	fmt.Printf("%d records appended in %s (%.0f/s, %d posters), %d witnesses, quorum %d, %d cosigned checkpoints served\n",
		records, elapsed.Round(time.Millisecond), float64(records)/elapsed.Seconds(), posters, n, quorum, len(sizes))
	fmt.Printf("acknowledgement to a quorum-cosigned checkpoint covering it: p50 %s, p90 %s, p99 %s, max %s\n",
		pct(0.5), pct(0.9), pct(0.99), lat[len(lat)-1].Round(100*time.Microsecond))
	for _, s := range col.Status() {
		fmt.Printf("  %s: cosigned up to %d, %d consecutive failures %s\n", s.Name, s.Cosigned, s.Failures, s.LastError)
	}
	return nil
}

// keyOf returns poster p's signing key.
func keyOf(p int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = byte(p)
	return ed25519.NewKeyFromSeed(seed)
}

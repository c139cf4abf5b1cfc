// Command genrecord generates the public record of a whole election for
// benchmarks: N voters each cast one ballot of one contest of K options
// (pick up to P), encrypted in parallel on every CPU, on an in-memory board
// running the election policy (which trusts the ballots it generated
// itself, to halve the cost); then the trustees decrypt and the official
// posts the result. It writes the board's export, its latest signed
// checkpoint and its verifier key, and, with -db, the board's SQLite
// database and signing key, so that the board can be served again:
//
//	DIR/record-N.jsonl  DIR/checkpoint-N.txt  DIR/board-N.vkey
//	DIR/board-N.db  DIR/board-N.skey
//
// It is run by scripts/bench-verify.sh and scripts/bench-follow.sh.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/verifier/verifiertest"
)

func main() {
	n := flag.Int("n", 100000, "number of voters, each casting one ballot")
	dir := flag.String("dir", ".", "output directory")
	options := flag.Int("options", 10, "options of the contest")
	pick := flag.Int("pick", 3, "options a voter may pick")
	trustees := flag.Int("trustees", 5, "trustees n")
	threshold := flag.Int("threshold", 3, "threshold t")
	workers := flag.Int("workers", 0, "encrypting goroutines (0: one per CPU)")
	db := flag.Bool("db", false, "also write the board's SQLite database and signing key")
	flag.Parse()
	if err := run(*n, *dir, *options, *pick, *trustees, *threshold, *workers, *db); err != nil {
		fmt.Fprintf(os.Stderr, "genrecord: %v\n", err)
		os.Exit(1)
	}
}

func run(n int, dir string, options, pick, trustees, threshold, workers int, db bool) error {
	name := func(base, ext string) string { return filepath.Join(dir, fmt.Sprintf("%s-%d.%s", base, n, ext)) }
	tmp := name("record", "jsonl") + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	start := time.Now()
	last := start
	e, err := verifiertest.Generate(context.Background(), verifiertest.Options{
		Voters: n, Trustees: trustees, Threshold: threshold, Contests: verifiertest.KofN(options, pick),
		Parallel: true, Workers: workers, Absent: []int{trustees},
		Title: fmt.Sprintf("Benchmark election, %d voters", n),
		Progress: func(cast, total int) {
			now := time.Now()
			if now.Sub(last) < 2*time.Second && cast < total {
				return
			}
			last = now
			el := now.Sub(start)
			rate := float64(cast) / el.Seconds()
			left := time.Duration(float64(total-cast) / rate * float64(time.Second))
			fmt.Fprintf(os.Stderr, "genrecord: %d/%d ballots cast, %.0f/s, %s left\n", cast, total, rate, left.Round(time.Second))
		},
	}, w)
	if err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(name("checkpoint", "txt"), e.Checkpoint, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(name("board", "vkey"), []byte(e.BoardKey+"\n"), 0o644); err != nil {
		return err
	}
	if db {
		if err := writeBoard(e, name("board", "db"), name("board", "skey")); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, name("record", "jsonl")); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "genrecord: %d records (%d ballots) in %s, expected counts %v\n",
		e.Records, n, time.Since(start).Round(time.Second), e.Counts)
	return nil
}

// writeBoard copies the generated board into a new SQLite database at
// path and writes its signing key, so that `evote board serve` serves it.
func writeBoard(e *verifiertest.Election, path, keyPath string) error {
	ctx := context.Background()
	os.Remove(path)
	dst, err := sqlite.Create(ctx, path)
	if err != nil {
		return err
	}
	if err := store.Copy(ctx, dst, e.Store, e.Records); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return os.WriteFile(keyPath, []byte(e.BoardSecretKey+"\n"), 0o600)
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/evote/evote/scripts/internal/loadelection"
)

// cmdSetup sets up the election of scripts/internal/loadelection on the
// board, as scripts/internal/ballotload does (definition, a roll of -voters
// voters, a 5-trustee ceremony with threshold 3, opening; one contest of 10
// options, pick up to 3), then encrypts and signs one ballot each for the
// first -ballots voters on all cores and writes them to -out, one JSON
// submission per line, ready to post. Every ballot is from a distinct voter
// who has not voted, so each is valid on the board until it is posted. A
// ballot's submission is about 4.9 KB, its record on the board about 6.3 KB.
//
// With -more FILE it then waits (up to -timeout) for FILE to appear,
// reads from it a number M, and encrypts ballots for the next M voters into
// -more-out: the overload phase's ballots, whose number depends on the
// capacity measured meanwhile. That second batch runs on threads at the
// lowest CPU priority (nice 19 on Linux), so that the script can run the
// memory phases meanwhile without the encryption taking the board's CPU.
func cmdSetup(ctx context.Context, args []string) error {
	fs, c := newPhase("setup", 4*time.Minute)
	vkey := fs.String("vkey", "", "board verifier key")
	voters := fs.Int("voters", 24000, "voters on the roll")
	first := fs.Int("ballots", 3000, "ballots to encrypt at once (for the first voters)")
	out := fs.String("out", "", "write the first ballots to `FILE`")
	more := fs.String("more", "", "then wait for `FILE` to hold a count M, and encrypt M more ballots")
	moreOut := fs.String("more-out", "", "write the ballots of -more to `FILE`")
	return c.run(ctx, fs, args, func(ctx context.Context) error {
		if *out == "" || (*more != "") != (*moreOut != "") {
			return fmt.Errorf("-out is required, and -more goes with -more-out")
		}
		if *first > *voters {
			return fmt.Errorf("-ballots %d is more than the %d -voters", *first, *voters)
		}
		t0 := time.Now()
		e, st, err := loadelection.Open(ctx, c.url, *vkey, "hostile load", *voters)
		if err != nil {
			return err
		}
		setup := time.Since(t0)
		t1 := time.Now()
		bodies, err := loadelection.EncryptBallots(ctx, st, e, e.Voters[:*first], loadelection.EncryptOptions{})
		if err != nil {
			return err
		}
		if err := writeBallots(*out, bodies); err != nil {
			return err
		}
		fmt.Printf("setup: election open with %d voters on the roll in %.1fs; %d ballots (%d-byte submissions) encrypted in %.1fs (%.0f/s on %d CPUs)\n",
			*voters, setup.Seconds(), len(bodies), len(bodies[0]), time.Since(t1).Seconds(), float64(len(bodies))/time.Since(t1).Seconds(), runtime.NumCPU())
		if *more == "" {
			return nil
		}

		m, err := waitCount(ctx, *more)
		if err != nil {
			return err
		}
		if m > *voters-*first {
			fmt.Printf("setup: %d more ballots asked for, but only %d voters are left on the roll\n", m, *voters-*first)
			m = *voters - *first
		}
		t2 := time.Now()
		bodies, err = loadelection.EncryptBallots(ctx, st, e, e.Voters[*first:*first+m], loadelection.EncryptOptions{LowPriority: true})
		if err != nil {
			return err
		}
		if err := writeBallots(*moreOut, bodies); err != nil {
			return err
		}
		fmt.Printf("setup: %d more ballots encrypted in the background at low priority in %.1fs\n", len(bodies), time.Since(t2).Seconds())
		return nil
	})
}

// waitCount waits for path to hold a decimal count and returns it.
func waitCount(ctx context.Context, path string) (int, error) {
	for {
		if data, err := os.ReadFile(path); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && n >= 0 {
				return n, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeBallots writes bodies to path, one a line, atomically: readers see
// the whole file or none.
func writeBallots(path string, bodies [][]byte) error {
	file, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(file, 1<<20)
	for _, b := range bodies {
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// readBallots reads the ballots that setup wrote, skipping the first skip.
func readBallots(path string, skip int) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out [][]byte
	for i := 0; sc.Scan(); i++ {
		if i >= skip {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	return out, sc.Err()
}

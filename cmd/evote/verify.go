package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/internal/progress"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/htmlreport"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "re-verify a whole election from its public record",
		UsageText: "evote verify --record FILE --checkpoint FILE... --board-key KEY [--json] [--html FILE]\nevote verify --board URL --board-key KEY [--json] [--html FILE]\nevote verify --record FILE --no-checkpoint [--unanchored-ok]",
		Description: `Checks, from the public record alone and in this order: the hash chain,
indexes, signatures and Merkle tree; the signed checkpoints; the election
definition and base hash; the key ceremony; every ballot (proofs, eligibility,
duplicates, re-voting); every challenged ballot; the encrypted sums; every
partial decryption; the combination and the final counts
(docs/spec/verifier.md).

A record is verified against what the board signed: give the board's signed
checkpoint (--checkpoint, the board serves it at /checkpoint and the demo
leaves it in checkpoint.txt) or verify the live board (--board). Without
either, verify refuses to start; --no-checkpoint verifies the record anyway,
warns that nothing ties it to the board, and exits with status 3 unless
--unanchored-ok is given too.

It prints a report (--json for the machine-readable one) and exits with status
0 only if everything holds. --html FILE also writes the report as one
self-contained page to read in a browser: the failures first, what was not
checked, the checkpoints and their cosigners, every step's counts, the result
as bar charts and the turnout over time.

Its memory grows with the roll and the ballots (about 300 bytes a ballot of
ten options, and 64 bytes an option in a temporary file): unless GOMEMLIMIT
is set, it asks Go's collector to keep the heap under 768 MiB, so that a
million ballots verify in under 1 GiB.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "record", Usage: "the board's JSON Lines export `FILE` (- for standard input)"},
			&cli.StringFlag{Name: "board", Usage: "verify the board at `URL` up to its latest checkpoint"},
			&cli.StringSliceFlag{Name: "checkpoint", Usage: "a signed checkpoint `FILE` the record must match (repeatable)"},
			boardKeyFlag(),
			boardKeyFileFlag(),
			&cli.StringFlag{Name: "origin", Usage: "the log `NAME` every checkpoint must be for (default: the name of the board's key)"},
			noCheckpointFlag(),
			unanchoredOKFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.StringFlag{Name: "html", Usage: "also write the report as one self-contained HTML page to `FILE`, with charts of the result and the turnout"},
			&cli.IntFlag{Name: "max-payload", Usage: "largest record payload accepted, in `BYTES`", Value: verifier.DefaultMaxPayload},
			&cli.IntFlag{Name: "workers", Usage: "goroutines verifying in parallel (0: one per CPU)"},
		},
		Action: runVerify,
	}
}

// verifyMemoryLimit is the soft limit of the verifier's heap unless
// GOMEMLIMIT says otherwise: the collector works harder as the heap nears
// it, rather than let it double its live size between collections.
const verifyMemoryLimit = 768 << 20

func runVerify(c *cli.Context) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(verifyMemoryLimit)
	}
	if c.NArg() > 0 {
		return withHint(fmt.Errorf("unexpected argument %q", c.Args().First()), "name the record with --record FILE")
	}
	record, board := c.String("record"), c.String("board")
	if (record == "") == (board == "") {
		return withHint(errors.New("verify needs exactly one of --record and --board"),
			"verify an export with --record FILE, or a live board with --board URL --board-key KEY")
	}
	vkey, err := verifyBoardKey(c)
	if err != nil {
		return err
	}
	opts := verifier.Options{
		BoardKey:   vkey,
		Origin:     c.String("origin"),
		MaxPayload: c.Int("max-payload"),
		Workers:    c.Int("workers"),
		Progress:   newProgressPrinter(c.App.ErrWriter),
	}
	for _, name := range c.StringSlice("checkpoint") {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("reading checkpoint: %w", err)
		}
		opts.Checkpoints = append(opts.Checkpoints, b)
	}
	if len(opts.Checkpoints) > 0 && vkey == "" {
		return withHint(errors.New("--checkpoint needs the board's key to check its signature"), "pass --board-key KEY or --board-key-file FILE")
	}
	unanchored := board == "" && len(opts.Checkpoints) == 0
	switch {
	case unanchored && !c.Bool("no-checkpoint"):
		return withHint(errors.New("nothing to verify the record against: no --checkpoint and no --board"),
			"give the board's signed checkpoint (--checkpoint FILE --board-key @board.vkey; the board serves it at /checkpoint), "+
				"or verify the live board with --board URL; --no-checkpoint verifies without one, unanchored")
	case !unanchored && c.Bool("no-checkpoint"):
		return errors.New("--no-checkpoint contradicts --checkpoint and --board")
	case c.Bool("unanchored-ok") && !c.Bool("no-checkpoint"):
		return errors.New("--unanchored-ok goes with --no-checkpoint")
	}

	var src verifier.Source
	switch {
	case board != "":
		if vkey == "" {
			return withHint(errors.New("--board needs the board's key"), "pass --board-key KEY or --board-key-file FILE")
		}
		cl, err := client.New(board, vkey, nil)
		if err != nil {
			return err
		}
		src = verifier.Board(cl, board)
	case record == "-":
		src = verifier.Export(os.Stdin, "standard input")
	default:
		f, err := os.Open(record)
		if err != nil {
			return fmt.Errorf("opening the record: %w", err)
		}
		defer f.Close()
		src = verifier.Export(f, record)
	}

	r := verifier.Verify(c.Context, src, opts)
	if c.Bool("json") {
		err = r.WriteJSON(c.App.Writer)
	} else {
		err = r.WriteText(c.App.Writer)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if name := c.String("html"); name != "" {
		if err := writeHTMLReport(name, r); err != nil {
			return err
		}
	}
	if !r.OK {
		if r.Problems == 1 {
			return errors.New("verification failed: 1 problem")
		}
		return fmt.Errorf("verification failed: %d problems", r.Problems)
	}
	if unanchored {
		fmt.Fprintln(c.App.ErrWriter, "evote: warning: no signed checkpoint was checked: nothing ties this record to what the board published; "+
			"a board could have handed you a record it never showed anyone else")
		if !c.Bool("unanchored-ok") {
			return &statusError{status: 3, msg: "verified, but unanchored (exit status 3; --unanchored-ok accepts that)"}
		}
	}
	return nil
}

// writeHTMLReport writes r as an HTML page to the file name.
func writeHTMLReport(name string, r *verifier.Report) error {
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r); err != nil {
		return err
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// The flags that name the board's key and the checkpoints to anchor a
// record to, shared by evote verify and evote board verify-export. Each
// call makes a new flag (see boardFlags).

func boardKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "board-key", Usage: "the board's checkpoint verifier `KEY`, or @FILE holding it", EnvVars: []string{"EVOTE_BOARD_KEY"}}
}

func boardKeyFileFlag() cli.Flag {
	return &cli.StringFlag{Name: "board-key-file", Usage: "`FILE` holding the board's checkpoint verifier key"}
}

func noCheckpointFlag() cli.Flag {
	return &cli.BoolFlag{Name: "no-checkpoint", Usage: "verify a record without any signed checkpoint (warns, exits 3)"}
}

func unanchoredOKFlag() cli.Flag {
	return &cli.BoolFlag{Name: "unanchored-ok", Usage: "with --no-checkpoint, exit 0 if everything else holds"}
}

// verifyBoardKey returns the board key given by --board-key (inline or
// @FILE) or --board-key-file, or "" if neither is set.
func verifyBoardKey(c *cli.Context) (string, error) {
	return boardKeyOf(c.String("board-key"), c.String("board-key-file"))
}

// boardKeyOf returns the board key given inline or as @FILE in v, or in
// the file named file, or "" if neither is set.
func boardKeyOf(v, file string) (string, error) {
	if name, ok := strings.CutPrefix(v, "@"); ok && file == "" {
		v, file = "", name
	}
	if v != "" && file != "" {
		return "", errors.New("give the board key with --board-key or --board-key-file, not both")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the board key: %w", err)
		}
		v = strings.TrimSpace(string(b))
	}
	return v, nil
}

// newProgressPrinter returns a verifier.Options.Progress function showing
// the replay on w (see package progress).
func newProgressPrinter(w io.Writer) func(verifier.Progress) {
	bar := progress.New(w, "verify")
	return func(p verifier.Progress) {
		if p.Final {
			bar.Done(fmt.Sprintf("read %d records (%d ballots) in %s, %.0f records/s",
				p.Records, p.Ballots, p.Elapsed.Round(100*time.Millisecond), p.Rate()))
			return
		}
		bar.Show(p.Fraction(), fmt.Sprintf("%d records, %.0f/s", p.Records, p.Rate()))
	}
}

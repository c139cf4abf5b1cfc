package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
)

func boardVerifyExportCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-export",
		Usage:     "check an export's indexes, hash chain, signatures and Merkle root against the board's signed checkpoint",
		UsageText: "evote board verify-export --record FILE --checkpoint FILE... --board-key KEY\nevote board verify-export --record FILE --no-checkpoint [--unanchored-ok]",
		Description: `Checks that an export (evote board export) is a log: indexes 0, 1, 2, …
without gaps, each record chained to the one before, every record
well-formed and signed by its author; and that the signed checkpoints
(--checkpoint, the board serves its latest at /checkpoint) match its first
records. It applies no election rules: evote verify does.

A file cut at the end of a line is a valid, shorter log: only a checkpoint
shows that no records are missing at the end. As with evote verify, without
--checkpoint it refuses to start; --no-checkpoint checks the file anyway,
warns, and exits with status 3 unless --unanchored-ok is given too.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "record", Usage: "the export `FILE` (JSON Lines), or - for standard input"},
			&cli.StringSliceFlag{Name: "checkpoint", Usage: "a signed checkpoint `FILE` the export must match (repeatable)"},
			boardKeyFlag(),
			boardKeyFileFlag(),
			noCheckpointFlag(),
			unanchoredOKFlag(),
			&cli.IntFlag{Name: "max-payload", Usage: "largest record payload accepted, in `BYTES`", Value: bulletin.DefaultMaxPayload},
			// The names the command had before it took evote verify's;
			// scripts may still use them.
			&cli.StringFlag{Name: "in", Hidden: true},
			&cli.StringFlag{Name: "vkey", Hidden: true},
		},
		Action: boardVerifyExport,
	}
}

func boardVerifyExport(c *cli.Context) error {
	if c.NArg() > 0 {
		return withHint(fmt.Errorf("unexpected argument %q", c.Args().First()), "name the export with --record FILE")
	}
	record, err := renamedFlag(c, "record", "in")
	if err != nil {
		return err
	}
	if record == "" {
		return withHint(errors.New("--record is required"), "name the export file (from `evote board export`) with --record FILE, or - for standard input")
	}
	keyFile, err := renamedFlag(c, "board-key-file", "vkey")
	if err != nil {
		return err
	}
	vkey, err := boardKeyOf(c.String("board-key"), keyFile)
	if err != nil {
		return err
	}
	names := c.StringSlice("checkpoint")
	if len(names) > 0 && vkey == "" {
		return withHint(errors.New("--checkpoint needs the board's key to check its signature"), "pass --board-key KEY or --board-key-file FILE (the board's board.vkey)")
	}
	unanchored := len(names) == 0
	switch {
	case unanchored && !c.Bool("no-checkpoint"):
		return withHint(errors.New("no checkpoint given: an export cut at the end of a line is a valid shorter log, so nothing would show that the file holds every record"),
			"give the board's signed checkpoint (--checkpoint FILE --board-key @board.vkey; the board serves it at /checkpoint); "+
				"--no-checkpoint checks the file without one")
	case !unanchored && c.Bool("no-checkpoint"):
		return errors.New("--no-checkpoint contradicts --checkpoint")
	case c.Bool("unanchored-ok") && !c.Bool("no-checkpoint"):
		return errors.New("--unanchored-ok goes with --no-checkpoint")
	}
	// Open the checkpoints first: a wrong key fails before a long read.
	var cps []bulletin.Checkpoint
	if !unanchored {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return fmt.Errorf("the board key: %w", err)
		}
		for _, name := range names {
			signed, err := os.ReadFile(name)
			if err != nil {
				return fmt.Errorf("reading checkpoint: %w", err)
			}
			cp, _, err := bulletin.OpenCheckpoint(signed, note.VerifierList(v))
			if err != nil {
				return withHint(fmt.Errorf("checkpoint %s: %w", name, err), "is the board key the key of the board that signed this checkpoint?")
			}
			if cp.Origin != v.Name() {
				return fmt.Errorf("checkpoint %s is for the log %q, not %q: it is another board's, or the board changed its origin", name, cp.Origin, v.Name())
			}
			cps = append(cps, cp)
		}
	}

	in := c.App.Reader
	if record != "-" {
		f, err := os.Open(record)
		if err != nil {
			return fmt.Errorf("opening export: %w", err)
		}
		defer f.Close()
		in = f
	}
	tail := &tailReader{r: in}
	chain, err := bulletin.VerifyExport(tail, c.Int("max-payload"))
	var ce *bulletin.ChainError
	switch {
	case errors.As(err, &ce) && tail.endsInside(ce.Index):
		return withHint(fmt.Errorf("the export ends in the middle of record %d (line %d): the file is truncated", ce.Index, ce.Index+1),
			"the %s before it verify; copy the whole file again, or export the board again (evote board export)", records(ce.Index))
	case errors.As(err, &ce):
		reason := ce.Reason
		if ce.Code != "" {
			reason = ce.Code + ": " + reason
		}
		return withHint(fmt.Errorf("export is invalid at record %d (line %d): %s", ce.Index, ce.Index+1, reason),
			"the records before record %d verify; record %d or its neighbours were altered", ce.Index, ce.Index)
	case err != nil:
		return err
	}
	root, err := chain.TreeHash(chain.Size())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "ok: %s, chain and signatures verify, root %v\n", records(chain.Size()), root)
	if unanchored {
		fmt.Fprintln(c.App.ErrWriter, "evote: warning: no checkpoint given: the file may be missing records at the end; "+
			"only the board's signed checkpoint shows how many records it holds")
		if !c.Bool("unanchored-ok") {
			return &statusError{status: 3, msg: "checked, but unanchored (exit status 3; --unanchored-ok accepts that)"}
		}
		return nil
	}
	var covered int64
	for i, cp := range cps {
		if cp.Size > chain.Size() {
			return withHint(fmt.Errorf("checkpoint %s signs %s, but the export holds only %d: records from %d on are missing", names[i], records(cp.Size), chain.Size(), chain.Size()),
				"the file is truncated or older than the checkpoint: export the board again (evote board export)")
		}
		if err := chain.CheckCheckpoint(cp); err != nil {
			return fmt.Errorf("checkpoint %s: %w", names[i], err)
		}
		fmt.Fprintf(c.App.Writer, "ok: the first %s match the signed checkpoint %s\n", records(cp.Size), names[i])
		covered = max(covered, cp.Size)
	}
	if n := chain.Size() - covered; n > 0 {
		fmt.Fprintf(c.App.Writer, "note: the last %s came after the newest checkpoint given, which does not vouch for them\n", records(n))
	}
	return nil
}

// renamedFlag returns the value of the flag name, or of old, the hidden
// name it had before; giving both is an error.
func renamedFlag(c *cli.Context, name, old string) (string, error) {
	v, o := c.String(name), c.String(old)
	switch {
	case o == "":
		return v, nil
	case v == "":
		return o, nil
	}
	return "", fmt.Errorf("--%s and --%s (its old name) are both given: give --%s only", name, old, name)
}

// tailReader passes a stream through and remembers how it ended: the
// newlines it held and its last byte.
type tailReader struct {
	r     io.Reader
	lines int64
	last  byte
	eof   bool
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.lines += int64(bytes.Count(p[:n], []byte("\n")))
		t.last = p[n-1]
	}
	if err == io.EOF {
		t.eof = true
	}
	return n, err
}

// endsInside reports whether the stream, read to its end, stopped in the
// middle of line i (counted from 0): after i complete lines, with no
// newline at the end.
func (t *tailReader) endsInside(i int64) bool {
	return t.eof && t.last != '\n' && t.lines == i
}

// records returns "1 record" or "n records".
func records(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

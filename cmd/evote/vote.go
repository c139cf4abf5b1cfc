package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
)

func voteCommand() *cli.Command {
	return &cli.Command{
		Name:  "vote",
		Usage: "encrypt your choices on this device, then cast or challenge the ballot",
		Description: `Choices are written contest=option,option;contest=option:count, using the ids
of the election definition; contests left out get no selection. For example:
  --choices 'mayor=alice;council=dan,erin;budget=schools:3,roads:2'

Without --cast or --challenge the ballot is encrypted, its confirmation code
shown, and nothing is posted. --challenge posts the ballot with its
randomness so anyone can check it encrypts your choices (it is never
counted); then vote again. --cast posts it and saves the board's receipt.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "credential", Usage: "your credential file (required)"},
			&cli.StringFlag{Name: "choices", Usage: "your choices, see above (required)"},
			&cli.BoolFlag{Name: "cast", Usage: "cast the ballot"},
			&cli.BoolFlag{Name: "challenge", Usage: "challenge (audit) the ballot instead of casting it"},
			&cli.StringFlag{Name: "receipt", Usage: "where to save the receipt of a cast ballot", Value: "receipt.json"},
			&cli.StringFlag{Name: "device-state", Usage: "file keeping this device's last confirmation code (chains the codes)", Value: ".evote-device"},
		}, boardFlags()...),
		Action: vote,
		Subcommands: []*cli.Command{
			{
				Name:   "check-receipt",
				Usage:  "check that a cast ballot is on the board and the board's history still contains it",
				Flags:  append([]cli.Flag{&cli.StringFlag{Name: "receipt", Usage: "the receipt to check", Value: "receipt.json"}}, boardFlags()...),
				Action: checkReceipt,
			},
		},
	}
}

func vote(c *cli.Context) error {
	if c.String("credential") == "" || c.String("choices") == "" {
		return withHint(errors.New("--credential and --choices are required"), "see `evote vote --help` for the choices syntax")
	}
	if c.Bool("cast") && c.Bool("challenge") {
		return errors.New("choose one of --cast and --challenge")
	}
	data, err := os.ReadFile(c.String("credential"))
	if err != nil {
		return withHint(fmt.Errorf("reading your credential: %w", err), "--credential names the credential file the official gave you")
	}
	cred, err := ballot.ParseCredential(data)
	if err != nil {
		return withHint(fmt.Errorf("%s: %w", c.String("credential"), err), "use the credential file the official gave you")
	}
	cl, st, err := boardState(c)
	if err != nil {
		return err
	}
	m := st.Manifest()
	if m == nil {
		return errors.New("the board holds no election yet")
	}
	choices, err := parseChoices(m, c.String("choices"))
	if err != nil {
		return err
	}
	if err := ballot.ValidateChoices(m, choices); err != nil {
		return err
	}
	prev, err := readDeviceCode(c.String("device-state"))
	if err != nil {
		return err
	}
	b, secrets, err := st.EncryptBallot(cred.Public, choices, prev)
	if err != nil {
		return err
	}
	code := b.ConfirmationCode()
	if err := replaceFile(c.String("device-state"), []byte(code.String()+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(out(c), "confirmation code: %s\n", code.Short())
	signer := election.KeySigner(cred.Private)
	switch {
	case c.Bool("challenge"):
		challenged := ballot.Challenge(b, secrets)
		rec, _, err := post(c.Context, cl, signer, election.TypeChallenge, challenged)
		if err != nil {
			return err
		}
		fmt.Fprintf(out(c), "challenged: record %d reveals this ballot; anyone can check it encrypts:\n", rec.Index)
		printChoices(c, m, challenged.Choices)
		fmt.Fprintln(out(c), "this ballot will never be counted: vote again to cast one")
	case c.Bool("cast"):
		p, err := submit(c.Context, cl, signer, election.TypeBallot, b)
		if err != nil {
			return err
		}
		if err := replaceFile(c.String("receipt"), p.Receipt.Marshal(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(out(c), "cast: your ballot is record %d; receipt saved to %s\n", p.Record.Index, c.String("receipt"))
		if p.Notice != "" {
			fmt.Fprintf(out(c), "the board says: %s\n", p.Notice)
		}
	default:
		fmt.Fprintln(out(c), "nothing posted: run again with --cast or --challenge")
	}
	return nil
}

// parseChoices reads "contest=option[:count],…;…" against the definition.
func parseChoices(m *ballot.Manifest, s string) (ballot.Choices, error) {
	choices := ballot.NewChoices(m)
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cid, opts, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("choices: %q is not contest=option,…", part)
		}
		ci := -1
		for i, contest := range m.Contests {
			if contest.ID == strings.TrimSpace(cid) {
				ci = i
			}
		}
		if ci < 0 {
			return nil, fmt.Errorf("choices: no contest %q in this election", cid)
		}
		for _, o := range strings.Split(opts, ",") {
			oid, count, hasCount := strings.Cut(strings.TrimSpace(o), ":")
			if oid == "" {
				continue
			}
			n := uint64(1)
			if hasCount {
				var err error
				if n, err = strconv.ParseUint(count, 10, 32); err != nil {
					return nil, fmt.Errorf("choices: %q: count must be a whole number", o)
				}
			}
			oi := -1
			for k, opt := range m.Contests[ci].Options {
				if opt.ID == oid {
					oi = k
				}
			}
			if oi < 0 {
				return nil, fmt.Errorf("choices: contest %q has no option %q", cid, oid)
			}
			choices[ci][oi] += n
		}
	}
	return choices, nil
}

func printChoices(c *cli.Context, m *ballot.Manifest, ch ballot.Choices) {
	for i, contest := range m.Contests {
		var picked []string
		for k, n := range ch[i] {
			if n > 0 {
				picked = append(picked, fmt.Sprintf("%s×%d", contest.Options[k].Title, n))
			}
		}
		if len(picked) == 0 {
			picked = []string{"(none)"}
		}
		fmt.Fprintf(out(c), "  %s: %s\n", contest.Title, strings.Join(picked, ", "))
	}
}

// readDeviceCode returns the device's last confirmation code, or zero.
func readDeviceCode(path string) (ballot.ConfirmationCode, error) {
	var code ballot.ConfirmationCode
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return code, nil
	}
	if err != nil {
		return code, err
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) != len(code) {
		return code, fmt.Errorf("%s: not a confirmation code", path)
	}
	copy(code[:], b)
	return code, nil
}

func checkReceipt(c *cli.Context) error {
	data, err := os.ReadFile(c.String("receipt"))
	if err != nil {
		return err
	}
	receipt, err := bulletin.ParseReceipt(data)
	if err != nil {
		return err
	}
	cl, err := boardClient(c)
	if err != nil {
		return err
	}
	vkey, err := readKeyArg(c.String("board-key"), "board-key")
	if err != nil {
		return err
	}
	old, err := receipt.Verify(vkey)
	if err != nil {
		return fmt.Errorf("the receipt itself does not verify: %w", err)
	}
	if err := receiptStillHolds(c.Context, cl, receipt, old); err != nil {
		return err
	}
	fmt.Fprintf(out(c), "OK: record %d is in the board's signed tree of size %d, and the board's current history extends that tree\n", receipt.Index, old.Size)
	return nil
}

// receiptStillHolds checks the receipt's record against the board now: the
// record is there unchanged, and the latest checkpoint is consistent with
// the receipt's.
func receiptStillHolds(ctx context.Context, cl *client.Client, receipt *bulletin.Receipt, old bulletin.Checkpoint) error {
	rec, err := cl.Record(ctx, receipt.Index)
	if err != nil {
		return fmt.Errorf("fetching record %d: %w", receipt.Index, err)
	}
	if !receipt.Matches(rec) {
		return fmt.Errorf("the board's record %d is not the one in the receipt: the board changed it", receipt.Index)
	}
	latest, err := cl.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if latest.Size < old.Size {
		return fmt.Errorf("the board's tree shrank from %d to %d records since the receipt", old.Size, latest.Size)
	}
	proof, err := cl.ConsistencyProof(ctx, old.Size, latest.Size)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, latest.Size, latest.Hash, old.Size, old.Hash); err != nil {
		return fmt.Errorf("the board's current history does not extend the one in the receipt: %w", err)
	}
	return nil
}

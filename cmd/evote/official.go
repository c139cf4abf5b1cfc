package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
)

// officialKeyFlag returns a new --key flag for the official's key.
func officialKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "key", Usage: "the official's signing key `FILE` (from evote election keygen)", Required: true}
}

func electionCommand() *cli.Command {
	return &cli.Command{
		Name:  "election",
		Usage: "the election official's steps: define, run the ceremony's end, open, close",
		Subcommands: []*cli.Command{
			{
				Name:      "keygen",
				Usage:     "create the official's signing key",
				ArgsUsage: " ",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "out", Usage: "key `FILE` to create; the public key goes beside it (official.pub)", Value: "official.key"}},
				Action:    officialKeygen,
			},
			electionTemplateCommand(),
			electionImportCommand(),
			electionExportCommand(),
			{
				Name:  "init",
				Usage: "validate an election definition and post it as the board's first record",
				Flags: append([]cli.Flag{
					officialKeyFlag(),
					&cli.StringFlag{Name: "definition", Usage: "the election definition (JSON, see docs/spec/ballot.md)", Required: true},
					trusteeFlag(),
				}, boardFlags()...),
				Action: electionInit,
			},
			{
				Name:   "finish-ceremony",
				Usage:  "post the joint election key once every trustee accepted its shares",
				Flags:  append([]cli.Flag{officialKeyFlag(), waitFlag()}, boardFlags()...),
				Action: finishCeremony,
			},
			{
				Name:   "open",
				Usage:  "open voting",
				Flags:  append([]cli.Flag{officialKeyFlag()}, boardFlags()...),
				Action: func(c *cli.Context) error { return setPhase(c, election.PhaseOpen) },
			},
			{
				Name:   "close",
				Usage:  "close voting",
				Flags:  append([]cli.Flag{officialKeyFlag()}, boardFlags()...),
				Action: func(c *cli.Context) error { return setPhase(c, election.PhaseClosed) },
			},
			{
				Name:  "publish-client",
				Usage: "publish the SHA-256 of a voter client build (the web page's WebAssembly module)",
				Flags: append([]cli.Flag{
					officialKeyFlag(),
					&cli.StringFlag{Name: "file", Usage: "the build to publish", Required: true},
				}, boardFlags()...),
				Action: publishClient,
			},
			{
				Name:   "status",
				Usage:  "show the election's phase and counts",
				Flags:  boardFlags(),
				Action: electionStatus,
			},
		},
	}
}

func tallyCommand() *cli.Command {
	return &cli.Command{
		Name:  "tally",
		Usage: "combine the trustees' partial decryptions and post the result, and each ranked contest's count (the official)",
		Description: `Once at least the threshold of trustees have posted their partial
decryptions (evote trustee decrypt), combine them and post the result. For
each ranked contest it also posts the count of its decrypted ballots by the
contest's method, once the trustees have mixed and decrypted them (evote
trustee mix, then evote trustee decrypt), and prints the winners and, for
instant-runoff and STV, the rounds. Without --wait it says what is missing;
with it, it waits. Running it again posts only what the board lacks.`,
		Flags:  append([]cli.Flag{officialKeyFlag(), waitFlag()}, boardFlags()...),
		Action: postResult,
	}
}

func officialKeygen(c *cli.Context) error {
	return signingKeygen(c, `official public key (put it in the definition's "official" field)`)
}

// signingKeygen writes a new Ed25519 signing key to --out and its public
// key, in base64, beside it (publicKeyPath), and prints the public key
// under the heading what. If it fails, it leaves neither file.
func signingKeygen(c *cli.Context, what string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	path := c.String("out")
	if err := writeSigningKey(path, priv); err != nil {
		return err
	}
	b64 := base64.StdEncoding.EncodeToString(pub)
	if err := writeNewFile(publicKeyPath(path), []byte(b64+"\n"), 0o644); err != nil {
		os.Remove(path)
		return err
	}
	fmt.Fprintf(out(c), "wrote %s (secret) and %s\n%s:\n%s\n", path, publicKeyPath(path), what, b64)
	return nil
}

func electionInit(c *cli.Context) error {
	key, err := officialKey(c)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(c.String("definition"))
	if err != nil {
		return err
	}
	if data, err = definitionTrustees(c, data); err != nil {
		return err
	}
	m, err := ballot.ParseManifest(data)
	if err != nil {
		return withHint(err, "%s", definitionHint(c, err))
	}
	if err := checkSchedule(m, timeNow()); err != nil {
		return err
	}
	if !key.PublicKey().Equal(m.Official) {
		return withHint(errors.New("the definition's official key is not the key in --key"),
			"set \"official\" to %s", base64.StdEncoding.EncodeToString(key.PublicKey()))
	}
	keys, err := boardKeys(c)
	if err != nil {
		return err
	}
	if err := nameBoard(m, keys); err != nil {
		return err
	}
	cl, err := boardClient(c)
	if err != nil {
		return err
	}
	rec, _, err := post(c.Context, cl, key, election.TypeDefinition, m)
	if err != nil {
		return err
	}
	h, err := m.Hash()
	if err != nil {
		return err
	}
	fmt.Fprintf(out(c), "posted the definition of %q as record %d\nmanifest hash %x\n", m.Title, rec.Index, h)
	fmt.Fprintf(out(c), "next: the registrar puts the voters on the roll (`evote registrar issue` or `register`, then `close-roll`), and each trustee runs `evote trustee ceremony`\n")
	return nil
}

// nameBoard makes definition m name the board whose verifier key is the
// one of keys, the board it is posted to, if it names none; a definition
// that names another board is refused. With several operators' keys it
// names none, and may name one of them.
func nameBoard(m *ballot.Manifest, keys []string) error {
	if len(keys) > 1 {
		// A board kept by several operators, each signing with its own
		// key: the definition names none of them alone
		// (docs/spec/replicated-board.md §8).
		if m.Board != nil && !slices.Contains(keys, m.Board.Key) {
			return withHint(fmt.Errorf("the definition names the board %q, whose key is none of --board-key", m.Board.Origin),
				"post it to the board it names, or correct its \"board\"")
		}
		return nil
	}
	vkey := keys[0]
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("--board-key: %w", err)
	}
	if m.Board == nil {
		m.Board = &ballot.Board{Origin: v.Name(), Key: vkey}
		return nil
	}
	if m.Board.Key != vkey {
		return withHint(fmt.Errorf("the definition names the board %q, not the board of --board-key (%q)", m.Board.Origin, v.Name()),
			"post it to the board it names, or correct its \"board\"")
	}
	return nil
}

func finishCeremony(c *cli.Context) error {
	key, cl, err := officialAndBoard(c)
	if err != nil {
		return err
	}
	st, err := waitFor(c.Context, c, cl.follower(), "every trustee's verdict and the registrar's closing of the voter roll", func(s *election.State) bool {
		return s.VerdictsComplete() && s.Roll() != nil || s.CeremonyFailure() != nil
	})
	if err != nil {
		return err
	}
	jk, err := participant.JointKeyRecord(st)
	if err != nil {
		return withHint(err, "the accused trustees sent shares that do not match their commitments: replace or exclude them and start a new election")
	}
	rec, _, err := post(c.Context, cl, key, election.TypeJointKey, jk)
	if err != nil {
		return err
	}
	fmt.Fprintf(out(c), "posted the joint election key as record %d\nnext: `evote election open`\n", rec.Index)
	return nil
}

func setPhase(c *cli.Context, phase string) error {
	key, cl, err := officialAndBoard(c)
	if err != nil {
		return err
	}
	f := cl.follower()
	// A closing record names every record before it and the sums they
	// make; ballots posted meanwhile make it stale, so look again.
	for attempt := 1; ; attempt++ {
		st, err := syncBoard(c.Context, f, 0)
		if err != nil {
			return boardRefusal(err, "acted on nothing and posted nothing")
		}
		rec, _, err := post(c.Context, cl, key, election.TypePhase, st.PhaseRecord(phase))
		var rej *bulletin.RejectError
		if errors.As(err, &rej) && rej.Code == election.CodeStale && attempt < maxCloseAttempts {
			time.Sleep(pollInterval) // let the witnesses cosign what came meanwhile
			continue
		}
		if err != nil {
			return err
		}
		if phase == election.PhaseClosed {
			fmt.Fprintf(out(c), "voting is closed (record %d), after the board's first %d records; their encrypted sums are fixed for the trustees\n", rec.Index, rec.Index)
			return nil
		}
		fmt.Fprintf(out(c), "voting is %s (record %d)\n", phase, rec.Index)
		if note, warn := scheduleNote(st.Manifest(), rec.Time); warn {
			fmt.Fprintf(c.App.ErrWriter, "evote: warning: %s\n", note)
		} else {
			fmt.Fprintf(out(c), "%s\n", note)
		}
		return nil
	}
}

// maxCloseAttempts bounds how often setPhase posts a closing record that
// ballots arriving meanwhile made stale.
const maxCloseAttempts = 10

func publishClient(c *cli.Context) error {
	key, err := officialKey(c)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(c.String("file"))
	if err != nil {
		return err
	}
	cl, st, err := boardState(c)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	rec, _, err := post(c.Context, cl, key, election.TypeClientHash, st.ClientHashRecord(filepath.Base(c.String("file")), sum))
	if err != nil {
		return err
	}
	fmt.Fprintf(out(c), "published sha256 %x of %s as record %d\n", sum, filepath.Base(c.String("file")), rec.Index)
	return nil
}

func electionStatus(c *cli.Context) error {
	_, st, err := boardState(c)
	if err != nil {
		return err
	}
	s := st.Summary()
	w := tabwriter.NewWriter(out(c), 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "election\t%s\nphase\t%s\nvoters on the roll\t%d\nballots cast\t%d\ncounted\t%d\nsuperseded\t%d\nchallenged\t%d\npartial decryptions\t%d\n",
		s.Title, s.Phase, s.Voters, s.Ballots, s.Counted, s.Superseded, s.Challenged, s.Partials)
	printMixProgress(w, st)
	if err := w.Flush(); err != nil {
		return err
	}
	if st.Result() != nil {
		return printResult(c, st)
	}
	return nil
}

func postResult(c *cli.Context) error {
	key, cl, err := officialAndBoard(c)
	if err != nil {
		return err
	}
	f := cl.follower()
	st, err := syncBoard(c.Context, f, 0)
	if err != nil {
		return boardRefusal(err, "acted on nothing and posted nothing")
	}
	// Without --wait, say everything the tally waits for at once.
	if missing := tallyMissing(st); len(missing) > 0 && !c.Bool("wait") {
		return withHint(fmt.Errorf("the tally waits for %s", strings.Join(missing, "; ")), "run again later, or pass --wait to keep polling the board; nothing was posted")
	}
	st, err = waitFor(c.Context, c, f, "the trustees' partial decryptions, and the mix-net contests' mixes and their decryptions", func(s *election.State) bool { return len(tallyMissing(s)) == 0 })
	if err != nil {
		return err
	}
	if st.Result() != nil && !slices.ContainsFunc(mixedContests(st.Manifest()), func(i int) bool { return !st.MixCounted(i) }) {
		// Tallied already, by this official or an earlier run: nothing to
		// wait for or post; show what the board holds.
		fmt.Fprintf(out(c), "the result is already on the board (the election is %s); posted nothing\n", st.Phase())
		return printResult(c, st)
	}
	var last uint64
	if st.Result() == nil {
		r, err := participant.ComputeResult(st)
		if err != nil {
			return err
		}
		rec, _, err := post(c.Context, cl, key, election.TypeResult, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(out(c), "posted the result as record %d (trustees %v combined)\n", rec.Index, r.Tally.Trustees)
		for _, rej := range r.Tally.Rejected {
			fmt.Fprintf(out(c), "ignored the partial decryption of trustee %d: %s\n", rej.Trustee, rej.Reason)
		}
		last = rec.Index
	}
	recs, err := postMixResults(c, cl, key, st)
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		last = recs[len(recs)-1].Index
	}
	if st, err = syncBoard(c.Context, f, int64(last)+1); err != nil {
		return boardRefusal(err, "posted the result but cannot show it")
	}
	return printResult(c, st)
}

// printResult prints the posted result as a table by contest, then the
// counts of the mix-net contests (printMixResults). The homomorphic
// result's rows of a ranked contest, its sums of ranks, are left out: its
// count is the one of its decrypted ballots.
func printResult(c *cli.Context, st *election.State) error {
	rows, err := st.ResultTable()
	if err != nil {
		return err
	}
	m := st.Manifest()
	w := tabwriter.NewWriter(out(c), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "contest\toption\tvotes")
	for _, r := range rows {
		if m.Contests[m.ContestIndex(r.Contest)].Ranked() {
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%d\n", r.Contest, r.Title, r.Count)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return printMixResults(c, st)
}

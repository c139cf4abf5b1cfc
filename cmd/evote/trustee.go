package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/tally"
)

// keystoreFlag returns a new --keystore flag.
func keystoreFlag() cli.Flag {
	return &cli.StringFlag{Name: "keystore", Usage: "the trustee's encrypted keystore `FILE` (from evote trustee keygen)", Required: true}
}

func trusteeCommand() *cli.Command {
	return &cli.Command{
		Name:  "trustee",
		Usage: "a trustee's steps: keys, the key ceremony, the mix of ranked contests, the partial decryption",
		Subcommands: []*cli.Command{
			{
				Name:   "keygen",
				Usage:  "create a trustee's keys in a passphrase-encrypted keystore",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "out", Usage: "`DIR` to write trustee.keystore and trustee.pub.json into", Value: "."}, passphraseFlag()},
				Action: trusteeKeygen,
			},
			{
				Name:   "ceremony",
				Usage:  "post commitments and encrypted shares, then check the shares received and post a verdict",
				Flags:  append([]cli.Flag{keystoreFlag(), passphraseFlag(), waitFlag()}, boardFlags()...),
				Action: trusteeCeremony,
			},
			{
				Name:  "mix",
				Usage: "after the close, re-encrypt and shuffle each ranked contest's ballots, with a proof of shuffle",
				Description: `A ranked contest (IRV, STV, Schulze, Borda) is not added up: its ballots
are decrypted one by one, after the trustees have anonymised them. Each
trustee in turn re-encrypts and shuffles the ballots as the mix before it
left them, and posts its mix with a proof that it is a shuffle. The ballots
are decrypted once the definition's threshold of trustees have mixed (so
the mix is honest if one of them is); a trustee who comes after the first
decryption has nothing to do.

Run it after the official closes voting (with --wait, before: it waits for
the close). Any trustee who has not mixed may post the next mix; if another
trustee's mix reaches the board first, this one mixes that one's output.
Running it again is safe: it says what this trustee has mixed already.
Then run evote trustee decrypt.`,
				Flags:  append([]cli.Flag{keystoreFlag(), passphraseFlag(), waitFlag()}, boardFlags()...),
				Action: trusteeMix,
			},
			{
				Name:  "decrypt",
				Usage: "post this trustee's partial decryption of the encrypted totals and of the ranked contests' mixed ballots",
				Description: `After the close, post this trustee's partial decryption of the encrypted sums
of the counted ballots, with proofs. If the election has ranked contests, it
then posts its decryption of each one's mixed ballots, once the threshold of
trustees have mixed it (evote trustee mix); with --wait it waits for those
mixes, without it it says which are missing and you run it again later.
Running it again posts only what this trustee has not posted yet.`,
				Flags:  append([]cli.Flag{keystoreFlag(), passphraseFlag(), waitFlag()}, boardFlags()...),
				Action: trusteeDecrypt,
			},
		},
	}
}

// trusteeKeygen writes a new trustee's keystore and public keys. If it
// fails, it leaves the --out directory as it found it.
func trusteeKeygen(c *cli.Context) (err error) {
	pass, err := readPassphrase(c, true)
	if err != nil {
		return err
	}
	keys, err := ceremony.GenerateTrusteeKeys()
	if err != nil {
		return err
	}
	pub, err := keys.Public().Marshal()
	if err != nil {
		return err
	}
	dir := c.String("out")
	made, err := makeKeygenDir(dir, 0o700)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			made.undo()
		}
	}()
	if err := saveKeystore(filepath.Join(dir, "trustee.keystore"), pass, &ceremony.TrusteeState{Keys: keys}, false); err != nil {
		return err
	}
	made.wrote(filepath.Join(dir, "trustee.keystore"))
	if err := writeNewFile(filepath.Join(dir, "trustee.pub.json"), append(pub, '\n'), 0o644); err != nil {
		return err
	}
	made.wrote(filepath.Join(dir, "trustee.pub.json"))
	fmt.Fprintf(out(c), "wrote %s (secret) and %s\ngive the official %s, your public keys, for the definition (`evote election init --trustee NAME=FILE`):\n%s\n",
		filepath.Join(dir, "trustee.keystore"), filepath.Join(dir, "trustee.pub.json"), filepath.Join(dir, "trustee.pub.json"), pub)
	return nil
}

// saveKeystore seals the trustee's state under the passphrase and writes
// it, atomically replacing an existing keystore if replace is set.
func saveKeystore(path string, pass []byte, ts *ceremony.TrusteeState, replace bool) error {
	plain, err := ts.Marshal()
	if err != nil {
		return err
	}
	sealed, err := ceremony.Seal(pass, plain)
	if err != nil {
		return err
	}
	if replace {
		return replaceFile(path, sealed, 0o600)
	}
	return writeNewFile(path, sealed, 0o600)
}

func openKeystore(c *cli.Context) ([]byte, *ceremony.TrusteeState, error) {
	sealed, err := os.ReadFile(c.String("keystore"))
	if err != nil {
		return nil, nil, err
	}
	pass, err := readPassphrase(c, false)
	if err != nil {
		return nil, nil, err
	}
	plain, err := ceremony.Open(pass, sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.String("keystore"), err)
	}
	ts, err := ceremony.ParseTrusteeState(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", c.String("keystore"), err)
	}
	return pass, ts, nil
}

// trusteeCeremony runs the trustee's ceremony steps (participant.Trustee)
// with --keystore as its saved state. Run again after a crash, it posts
// whatever of its commitments, shares and verdict the board lacks.
func trusteeCeremony(c *cli.Context) error {
	pass, ts, err := openKeystore(c)
	if err != nil {
		return err
	}
	// With a share in the keystore, Deal says ErrCeremonyDone once the
	// board shows this trustee's verdict; until then, Receive posts it.
	cl, st, err := boardState(c)
	if err != nil {
		return err
	}
	t := &participant.Trustee{
		State: ts,
		Save:  func(ts *ceremony.TrusteeState) error { return saveKeystore(c.String("keystore"), pass, ts, true) },
		Post:  boardPost(cl),
	}
	posted, err := t.Deal(c.Context, st)
	if errors.Is(err, participant.ErrNotTrustee) {
		return withHint(err, "check that the board runs the right election, and that the official put in your trustee.pub.json (`evote election init --trustee NAME=FILE`)")
	}
	if err != nil {
		return err
	}
	if posted {
		fmt.Fprintf(out(c), "trustee %d: posted its commitments and encrypted shares (those the board did not have yet)\n", ts.Dealer.Index())
	}
	st, err = waitFor(c.Context, c, cl.follower(), "every trustee's commitments and shares", (*election.State).CeremonyComplete)
	if err != nil {
		return err
	}
	verdict, err := t.Receive(c.Context, st)
	if err != nil {
		return err
	}
	if !verdict.Accept {
		for _, cpl := range verdict.Complaints {
			fmt.Fprintf(out(c), "trustee %d: complaint against trustee %d: %s\n", verdict.Trustee, cpl.Against, cpl.Reason)
		}
		return errors.New("posted a complaint: the ceremony cannot complete")
	}
	fmt.Fprintf(out(c), "trustee %d: all shares verified; accepted and saved the secret share in the keystore\n", verdict.Trustee)
	return nil
}

// trusteeDecrypt posts the trustee's partial decryption once voting has
// closed (participant.Trustee.Decrypt), unless it is on the board already,
// then its decryptions of the ranked contests' mixed ballots
// (decryptMixes).
func trusteeDecrypt(c *cli.Context) error {
	_, ts, err := openKeystore(c)
	if err != nil {
		return err
	}
	if ts.Share == nil {
		return participant.ErrNoShare
	}
	cl, err := boardClient(c)
	if err != nil {
		return err
	}
	// Stop at once, without waiting, if the board holds another election
	// than the keystore's share is for.
	st, err := waitFor(c.Context, c, cl.follower(), "voting to close", func(s *election.State) bool {
		return s.Phase() >= election.Closed || otherElection(s, ts.Share) != nil
	})
	if err != nil {
		return err
	}
	if err := otherElection(st, ts.Share); err != nil {
		return err
	}
	t := &participant.Trustee{State: ts, Post: boardPost(cl)}
	if slices.ContainsFunc(st.Partials(), func(p *tally.PartialDecryption) bool { return p.Trustee == ts.Share.Index() }) {
		fmt.Fprintf(out(c), "trustee %d: its partial decryption of the sums is on the board already\n", ts.Share.Index())
		return decryptMixes(c, cl, st, t)
	}
	rec, err := t.Decrypt(c.Context, st)
	var refused *participant.PostError
	if err != nil && !errors.As(err, &refused) {
		return withHint(err, "nothing was decrypted or posted")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out(c), "trustee %d: posted the partial decryption as record %d\n", ts.Share.Index(), rec.Index)
	return decryptMixes(c, cl, st, t)
}

// otherElection returns an error if the board, replayed into st, holds a
// definition other than the one whose key ceremony gave share: the share
// is bound to its election's manifest hash, and its partial decryption of
// another election's sums would be refused as a bad proof.
func otherElection(st *election.State, share *ceremony.TrusteeShare) error {
	m := st.Manifest()
	if m == nil {
		return nil
	}
	mh := st.ManifestHash()
	if bytes.Equal(share.Ctx(), mh[:]) {
		return nil
	}
	return withHint(fmt.Errorf("this keystore is for another election (manifest hash %x); the board holds the election %q (id %q, manifest hash %x)", share.Ctx(), m.Title, m.ID, mh),
		"use the keystore of this election's ceremony, or name the board of the keystore's election with --board and --board-key; nothing was decrypted or posted")
}

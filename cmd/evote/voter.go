package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
)

func voterCommand() *cli.Command {
	return &cli.Command{
		Name:  "voter",
		Usage: "a voter's credential: make your own, check that it is on the roll",
		Subcommands: []*cli.Command{
			{
				Name:  "keygen",
				Usage: "make your credential on this device and a registration request for the registrar",
				Description: `The credential's private key is made here and never leaves this device:
nobody else, not the registrar or the official, ever holds it. Send the
registration request (it holds only your public key, signed) to the
registrar, who checks who you are and puts the key on the roll; then
check with ` + "`evote voter check-roll`" + `.`,
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "id", Usage: "your voter identifier, as the registrar gave it", Required: true},
					&cli.StringFlag{Name: "out", Usage: "credential file to create (secret)", Value: "credential.json"},
					&cli.StringFlag{Name: "request", Usage: "registration request file to create (for the registrar)", Value: "registration.json"},
				}, boardFlags()...),
				Action: voterKeygen,
			},
			{
				Name:   "check-roll",
				Usage:  "check that your credential is on the voter roll",
				Flags:  append([]cli.Flag{&cli.StringFlag{Name: "credential", Usage: "your credential file", Required: true}}, boardFlags()...),
				Action: voterCheckRoll,
			},
		},
	}
}

// boardElection replays the board, which must hold an election definition.
func boardElection(c *cli.Context) (*election.State, *ballot.Manifest, error) {
	_, st, err := boardState(c)
	if err != nil {
		return nil, nil, err
	}
	m := st.Manifest()
	if m == nil {
		return nil, nil, errors.New("the board holds no election yet")
	}
	return st, m, nil
}

func voterKeygen(c *cli.Context) error {
	st, m, err := boardElection(c)
	if err != nil {
		return err
	}
	if st.Roll() != nil {
		return fmt.Errorf("the voter roll of %q is closed: nobody can register any more", m.Title)
	}
	cred, err := ballot.NewCredential(m.ID, c.String("id"))
	if err != nil {
		return err
	}
	b, err := cred.Marshal()
	if err != nil {
		return err
	}
	if err := writeNewFile(c.String("out"), b, 0o600); err != nil {
		return err
	}
	if err := writeNewFile(c.String("request"), append(ballot.NewRegistration(cred, st.ManifestHash()).Marshal(), '\n'), 0o644); err != nil {
		os.Remove(c.String("out"))
		return err
	}
	fmt.Fprintf(out(c), "wrote your credential to %s: keep it secret; it never left this device and nobody else has it\n", c.String("out"))
	fmt.Fprintf(out(c), "wrote your registration request to %s: send it to the registrar of %q\n", c.String("request"), m.Title)
	fmt.Fprintf(out(c), "next: once the registrar has registered you, `evote voter check-roll --credential %s`\n", c.String("out"))
	return nil
}

func voterCheckRoll(c *cli.Context) error {
	v, err := openVoter(c)
	if err != nil {
		return err
	}
	st, cred := v.state, v.cred
	m := st.Manifest()
	size, closed := st.RollStatus()
	entry, ok := st.RollEntry(cred.Public)
	if !ok {
		state := "it is still open"
		if closed {
			state = "it is closed"
		}
		return withHint(fmt.Errorf("NOT ON THE ROLL: your credential (voter %s) is not among the %d voters of %q; %s", cred.Voter, size, m.Title, state),
			"ask the registrar; a ballot signed with this credential would be refused")
	}
	state := "the roll is still open; the registrar closes it before voting opens"
	if closed {
		state = "the roll is closed"
	}
	fmt.Fprintf(out(c), "ON THE ROLL: your credential (voter %s) is entry %d of the %d voters of %q; %s\n", cred.Voter, entry, size, m.Title, state)
	if e := st.Election(); e != nil {
		b, _ := e.Voter(cred.Public)
		if b.Style != "" {
			var titles []string
			for _, i := range b.Contests {
				titles = append(titles, fmt.Sprintf("%s (%s)", m.Contests[i].ID, m.Contests[i].Title))
			}
			fmt.Fprintf(out(c), "your ballot (style %s) has %d of the %d contests: %s\n", b.Style, len(b.Contests), len(m.Contests), strings.Join(titles, ", "))
		}
		if b.Weight > 1 {
			fmt.Fprintf(out(c), "your vote counts %d times (your weight on the roll)\n", b.Weight)
		}
	}
	return nil
}

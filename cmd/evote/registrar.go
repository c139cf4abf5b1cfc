package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/progress"
)

// registrarKeyFlag returns a new --key flag for the registrar's key.
func registrarKeyFlag() cli.Flag {
	return &cli.StringFlag{Name: "key", Usage: "the registrar's signing key `FILE` (from evote registrar keygen)", Required: true}
}

func registrarCommand() *cli.Command {
	return &cli.Command{
		Name:  "registrar",
		Usage: "the registrar's steps: put voters on the roll and close it",
		Description: `The registrar, named in the election definition by its key, decides who
may vote: it posts the voter roll, in records of up to 500 voters, and
closes it before voting opens. Nobody else can add a voter. Either it
generates each voter's credential (issue), or voters make their own with
` + "`evote voter keygen`" + ` and send it a registration request (register); then
nobody but the voter ever holds the private key.`,
		Subcommands: []*cli.Command{
			{
				Name:      "keygen",
				Usage:     "create the registrar's signing key",
				ArgsUsage: " ",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "out", Usage: "key `FILE` to create; the public key goes beside it (registrar.pub), for the official", Value: "registrar.key"}},
				Action:    registrarKeygen,
			},
			{
				Name:  "issue",
				Usage: "generate credentials for a list of voters and post their public keys to the roll",
				Flags: append([]cli.Flag{
					registrarKeyFlag(),
					&cli.StringFlag{Name: "voters", Usage: "file of voters, one per line: the identifier (A-Z a-z 0-9 . _ - @ +), then optionally style=STYLE (their ballot style) and weight=N; # starts a comment", Required: true},
					&cli.StringFlag{Name: "out", Usage: "folder to write one credential file per voter in", Value: "credentials"},
					&cli.StringFlag{Name: "print", Usage: "also write a printable HTML page with each voter's credential as a QR code, for mailing"},
					&cli.StringSliceFlag{Name: "vote-url", Usage: "with --print, the web address `URL` of a voting page to print on each card (repeat the flag for each); by default, each board operator's address that the election's definition gives"},
				}, boardFlags()...),
				Action: registrarIssue,
			},
			{
				Name:      "register",
				Usage:     "check voters' registration requests and post their keys to the roll",
				ArgsUsage: "REQUEST-FILE...",
				Description: `Each file holds one registration request, or several, one per line, as
` + "`evote voter keygen`" + ` writes them. Check each voter's identity out of band
before you register them: the request proves only that its sender holds
the key. Where the definition has ballot styles, or voters have weights,
--voters names each voter's (the format of ` + "`evote registrar issue`" + `).`,
				Flags: append([]cli.Flag{registrarKeyFlag(),
					&cli.StringFlag{Name: "voters", Usage: "file of voters, one per line: the identifier, then style=STYLE and weight=N, for every voter who registers"},
				}, boardFlags()...),
				Action: registrarRegister,
			},
			{
				Name:   "close-roll",
				Usage:  "close the voter roll: nobody can be added after",
				Flags:  append([]cli.Flag{registrarKeyFlag()}, boardFlags()...),
				Action: registrarCloseRoll,
			},
		},
	}
}

func registrarKeygen(c *cli.Context) error {
	return signingKeygen(c, `registrar public key (give it to the official, for the definition's "registrar" field)`)
}

// registrar is the registrar at work: its key and its verified view of
// the board.
type registrar struct {
	c      *cli.Context
	key    election.KeySigner
	client *boardConn
	state  *election.State
	m      *ballot.Manifest
}

// openRegistrar reads the registrar's key and replays the board, which
// must hold a definition naming that key and a roll still open.
func openRegistrar(c *cli.Context) (*registrar, error) {
	priv, err := readSigningKey(c.String("key"))
	if err != nil {
		return nil, err
	}
	cl, st, err := boardState(c)
	if err != nil {
		return nil, err
	}
	r := &registrar{c: c, key: election.KeySigner(priv), client: cl, state: st, m: st.Manifest()}
	switch {
	case r.m == nil:
		return nil, withHint(errors.New("the board holds no election yet"), "the official posts the definition first (`evote election init`)")
	case !r.key.PublicKey().Equal(r.m.Registrar):
		return nil, withHint(errors.New("--key is not the registrar the definition names"),
			"the definition's registrar is %s", base64.StdEncoding.EncodeToString(r.m.Registrar))
	case st.Roll() != nil:
		return nil, fmt.Errorf("the voter roll is already closed, with %d voters: nobody can be added", st.Roll().Size())
	}
	return r, nil
}

// readVoters reads a file of voters, one per line: the identifier, then
// optionally style=STYLE (the voter's ballot style in the definition m)
// and weight=N. It returns roll entries without keys.
func readVoters(path string, m *ballot.Manifest) ([]ballot.RollEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var voters []ballot.RollEntry
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		id := fields[0]
		if !ballot.ValidVoterID(id) {
			return nil, fmt.Errorf("%s:%d: %q is not a voter identifier (1 to %d characters from A-Z, a-z, 0-9, '.', '_', '-', '@', '+')", path, n, id, ballot.MaxVoterIDLen)
		}
		if first, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s:%d: voter %q is already on line %d", path, n, id, first)
		}
		seen[id] = n
		e := ballot.RollEntry{Voter: id}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "style":
				e.Style = v
			case "weight":
				w, err := strconv.ParseUint(v, 10, 64)
				if err != nil || w < 1 || w > ballot.MaxWeight {
					return nil, fmt.Errorf("%s:%d: weight %q is not a whole number from 1 to %d", path, n, v, ballot.MaxWeight)
				}
				e.Weight = w
			default:
				return nil, withHint(fmt.Errorf("%s:%d: %q after the voter identifier", path, n, f), "a line is IDENTIFIER [style=STYLE] [weight=N]")
			}
		}
		if _, err := m.StyleContests(e.Style); err != nil {
			return nil, fmt.Errorf("%s:%d: voter %q: %w", path, n, id, err)
		}
		voters = append(voters, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(voters) == 0 {
		return nil, fmt.Errorf("%s: no voter identifiers", path)
	}
	return voters, nil
}

func registrarIssue(c *cli.Context) error {
	if c.IsSet("vote-url") && !c.IsSet("print") {
		return withHint(errors.New("--vote-url without --print"), "the voting pages' addresses are printed on the cards: give --print FILE too")
	}
	r, err := openRegistrar(c)
	if err != nil {
		return err
	}
	voters, err := readVoters(c.String("voters"), r.m)
	if err != nil {
		return err
	}
	where, err := votingPages(r.m, c.StringSlice("vote-url"))
	if err != nil {
		return err
	}
	dir := c.String("out")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Write every credential before posting: a key on the roll without its
	// private key would disenfranchise its voter.
	creds := make([]*ballot.Credential, len(voters))
	entries := make([]ballot.RollEntry, len(voters))
	for i, voter := range voters {
		id := voter.Voter
		cred, err := ballot.NewCredential(r.m.ID, id)
		if err != nil {
			return err
		}
		b, err := cred.Marshal()
		if err != nil {
			return err
		}
		if err := writeNewFile(filepath.Join(dir, id+".json"), b, 0o600); err != nil {
			return withHint(err, "a credential for this voter exists already: issue credentials only to voters not yet on the roll")
		}
		creds[i], entries[i] = cred, cred.Entry()
		entries[i].Style, entries[i].Weight = voter.Style, voter.Weight
	}
	fmt.Fprintf(out(c), "wrote %d credentials to %s: hand each voter theirs, and keep no copy\n", len(creds), dir)
	if path := c.String("print"); path != "" {
		page, err := printableCredentials(r.m, creds, where)
		if err != nil {
			return err
		}
		if err := writeNewFile(path, page, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out(c), "wrote %s: one page per voter with the credential as a QR code, for mailing\n", path)
	}
	return r.post(entries)
}

func registrarRegister(c *cli.Context) error {
	if c.NArg() == 0 {
		return withHint(errors.New("no registration request given"), "name the files `evote voter keygen` wrote: evote registrar register FILE...")
	}
	r, err := openRegistrar(c)
	if err != nil {
		return err
	}
	mh := r.state.ManifestHash()
	assigned := map[string]ballot.RollEntry{}
	if path := c.String("voters"); path != "" {
		voters, err := readVoters(path, r.m)
		if err != nil {
			return err
		}
		for _, v := range voters {
			assigned[v.Voter] = v
		}
	}
	var entries []ballot.RollEntry
	seen := map[string]string{}
	for _, path := range c.Args().Slice() {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for n, line := range bytes.Split(bytes.TrimSpace(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			req, err := ballot.ParseRegistration(bytes.TrimSpace(line))
			if err != nil {
				return fmt.Errorf("%s:%d: %w", path, n+1, err)
			}
			if req.Election != mh {
				return fmt.Errorf("%s:%d: the request of voter %q is for another election (manifest hash %x, not %x)", path, n+1, req.Voter, req.Election, mh)
			}
			if at, dup := seen[req.Voter]; dup {
				return fmt.Errorf("%s:%d: voter %q also made the request in %s", path, n+1, req.Voter, at)
			}
			seen[req.Voter] = fmt.Sprintf("%s:%d", path, n+1)
			if k, ok := r.state.RollEntry(req.Key); ok {
				return fmt.Errorf("%s:%d: the key of voter %q is already on the roll as entry %d", path, n+1, req.Voter, k)
			}
			e := req.Entry()
			if a, ok := assigned[req.Voter]; ok {
				e.Style, e.Weight = a.Style, a.Weight
			} else if _, err := r.m.StyleContests(""); err != nil || len(assigned) > 0 {
				return withHint(fmt.Errorf("%s:%d: voter %q is not in the --voters file, which gives each voter's ballot style and weight", path, n+1, req.Voter), "list every voter who registers in the --voters file")
			}
			entries = append(entries, e)
		}
	}
	return r.post(entries)
}

// post posts entries to the roll, in records of ballot.MaxRollChunk, in
// order after the entries already on it.
func (r *registrar) post(entries []ballot.RollEntry) error {
	first, _ := r.state.RollStatus()
	chunks := ballot.RollChunks(r.state.ManifestHash(), first, entries)
	bar := progress.New(r.c.App.ErrWriter, "posting the roll")
	var lastIndex uint64
	for i, chunk := range chunks {
		rec, _, err := post(r.c.Context, r.client, r.key, election.TypeRoll, chunk)
		if err != nil {
			if i > 0 {
				err = withHint(err, "the first %d voters of this run are on the roll (entries %d to %d); run again with the others", i*ballot.MaxRollChunk, first, first+int64(i*ballot.MaxRollChunk)-1)
			}
			return err
		}
		lastIndex = rec.Index
		if len(chunks) > 20 {
			bar.Show(float64(i+1)/float64(len(chunks)), fmt.Sprintf("%d/%d records", i+1, len(chunks)))
		}
	}
	if len(chunks) > 20 {
		bar.Done(fmt.Sprintf("%d records in %s", len(chunks), bar.Elapsed().Round(100*time.Millisecond)))
	}
	fmt.Fprintf(out(r.c), "posted %d voters to the roll as entries %d to %d, in %d records (the last is record %d)\n",
		len(entries), first, first+int64(len(entries))-1, len(chunks), lastIndex)
	fmt.Fprintf(out(r.c), "next: when every voter is on it, `evote registrar close-roll`\n")
	return nil
}

func registrarCloseRoll(c *cli.Context) error {
	r, err := openRegistrar(c)
	if err != nil {
		return err
	}
	closing, err := r.state.RollCloseRecord()
	if err != nil {
		return err
	}
	rec, _, err := post(c.Context, r.client, r.key, election.TypeRollClose, closing)
	if err != nil {
		return err
	}
	fmt.Fprintf(out(c), "closed the voter roll (record %d): %d voters, roll hash %x\nnext: the official posts the election key (`evote election finish-ceremony`)\n",
		rec.Index, closing.Size, closing.Hash)
	return nil
}

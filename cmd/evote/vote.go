package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
)

func voteCommand() *cli.Command {
	credentialFlag := func() cli.Flag {
		return &cli.StringFlag{Name: "credential", Usage: "your credential `FILE` (required)"}
	}
	receiptFlag := func() cli.Flag {
		return &cli.StringFlag{Name: "receipt", Usage: "where to save the receipt of a cast ballot (default receipt-N.txt, N the ballot's record)"}
	}
	preparedFlag := func() cli.Flag {
		return &cli.StringFlag{Name: "prepared", Usage: "the prepared ballot `FILE` (from evote vote prepare)", Value: "ballot.prepared"}
	}
	return &cli.Command{
		Name:  "vote",
		Usage: "encrypt your choices on this device, see the confirmation code, then cast or challenge that ballot",
		Description: `Choices are written contest=option,option;contest=option:count, using the ids
of the election definition; contests left out get no selection. For example:
  --choices 'mayor=alice;council=dan,erin;budget=schools:3,roads:2'
In a ranked contest, list the candidates you rank, your first choice first,
joined by '>' (quote the whole, as '>' means something to the shell):
  --choices 'mayor=alice;tree=oak>ash>elm'
ranks oak 1st, ash 2nd and elm 3rd; candidates left out are not ranked.
(tree=oak:1,ash:2,elm:3 says the same, each candidate with its rank.)
In a contest that allows a write-in, write a name in as its write-in option
followed by ="NAME", the name in double quotes (it may hold commas and
semicolons, but no double quote); for example, if option "other" is the
mayor contest's write-in:
  --choices 'mayor=other="Ada Lovelace";council=dan'

The ballot is encrypted first and its confirmation code and choices shown;
only then do you decide, for that very ballot, to cast it or to challenge it
(a Benaloh challenge: the ballot is posted with its randomness so anyone can
check it encrypts your choices; it is never counted, and you vote again).
Because the device does not know your decision while it encrypts, a
dishonest device cannot cheat only on the ballots you cast.

  evote vote --credential FILE --choices '…'        asks at the terminal
  evote vote prepare --credential FILE --choices '…' then, later:
  evote vote cast --credential FILE      or    evote vote challenge --credential FILE

A cast ballot's receipt is saved to its own file (receipt-N.txt); check it
later with evote vote check-receipt, which says whether it still counts.`,
		Flags: append([]cli.Flag{
			credentialFlag(),
			&cli.StringFlag{Name: "choices", Usage: "your `CHOICES`, see above (required)"},
			receiptFlag(),
			deviceStateFlag(),
		}, append(boardFlags(), langFlag())...),
		Action: voteAtTerminal,
		Subcommands: []*cli.Command{
			{
				Name:  "prepare",
				Usage: "encrypt your choices and show the confirmation code; nothing is posted",
				Flags: append([]cli.Flag{
					credentialFlag(),
					&cli.StringFlag{Name: "choices", Usage: "your `CHOICES`, see evote vote --help (required)"},
					&cli.StringFlag{Name: "out", Usage: "where to keep the prepared ballot (secret until cast or challenged)", Value: "ballot.prepared"},
					deviceStateFlag(),
				}, append(boardFlags(), langFlag())...),
				Action: votePrepare,
			},
			{
				Name:   "cast",
				Usage:  "cast the prepared ballot and save its receipt",
				Flags:  append([]cli.Flag{credentialFlag(), preparedFlag(), receiptFlag()}, append(boardFlags(), langFlag())...),
				Action: func(c *cli.Context) error { return votePrepared(c, true) },
			},
			{
				Name:   "challenge",
				Usage:  "challenge (audit) the prepared ballot: it is revealed for anyone to check, and never counted",
				Flags:  append([]cli.Flag{credentialFlag(), preparedFlag()}, append(boardFlags(), langFlag())...),
				Action: func(c *cli.Context) error { return votePrepared(c, false) },
			},
			{
				Name:   "check-receipt",
				Usage:  "check that a cast ballot is on the board unchanged and whether it still counts",
				Flags:  append([]cli.Flag{&cli.StringFlag{Name: "receipt", Usage: "the receipt `FILE` to check", Required: true}}, append(boardFlags(), langFlag())...),
				Action: checkReceipt,
			},
		},
	}
}

func deviceStateFlag() cli.Flag {
	return &cli.StringFlag{Name: "device-state", Usage: "file keeping this device's last confirmation code (chains the codes)", Value: ".evote-device"}
}

// voter is a voter's session: the credential and the board, verified.
type voter struct {
	c      *cli.Context
	cred   *ballot.Credential
	client *boardConn
	follow *follower
	state  *election.State
}

// openVoter reads the credential and replays the board.
func openVoter(c *cli.Context) (*voter, error) {
	if c.String("credential") == "" {
		return nil, withHint(errors.New("--credential is required"), "--credential names the credential file your registrar or official gave you")
	}
	data, err := os.ReadFile(c.String("credential"))
	if err != nil {
		return nil, withHint(fmt.Errorf("reading your credential: %w", err), "--credential names the credential file your registrar or official gave you")
	}
	// The file may end in a newline or other space (an editor's, or a
	// copy's): the credential is what lies between.
	cred, err := ballot.ParseCredential(bytes.TrimSpace(data))
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", c.String("credential"), err), "use the credential file you were given, unchanged")
	}
	cl, err := boardClient(c)
	if err != nil {
		return nil, err
	}
	f := cl.follower()
	st, err := syncBoard(c.Context, f, 0)
	if err != nil {
		return nil, boardRefusal(err, "encrypted or posted nothing")
	}
	m := st.Manifest()
	if m == nil {
		return nil, errors.New("the board holds no election yet")
	}
	if cred.Election != m.ID {
		return nil, fmt.Errorf("this credential is for the election %q, but the board runs %q", cred.Election, m.ID)
	}
	return &voter{c: c, cred: cred, client: cl, follow: f, state: st}, nil
}

// prepare encrypts the choices of --choices, shows the confirmation code
// and the choices, and returns the ballot with its secrets in the form it
// would be challenged in.
func (v *voter) prepare() (*ballot.ChallengedBallot, error) {
	c := v.c
	if c.String("choices") == "" {
		return nil, withHint(errors.New("--choices is required"), "see `evote vote --help` for the choices syntax")
	}
	m := v.state.Manifest()
	e := v.state.Election()
	if e == nil {
		return nil, fmt.Errorf("the election key is not on the board yet (the election is %s): ballots cannot be encrypted", v.state.Phase())
	}
	ballotOf, ok := e.Voter(v.cred.Public)
	if !ok {
		return nil, withHint(fmt.Errorf("your credential (voter %s) is not on the voter roll", v.cred.Voter), "ask the registrar; `evote voter check-roll` says where you stand")
	}
	choices, writeIns, err := parseChoices(m, ballotOf, c.String("choices"))
	if err != nil {
		return nil, err
	}
	if err := ballot.ValidateChoices(m, choices); err != nil {
		return nil, err
	}
	if err := ballot.ValidateWriteIns(m, choices, writeIns); err != nil {
		return nil, withHint(err, `write a name in as contest=option="NAME" with the contest's write-in option; see evote vote --help`)
	}
	prev, err := readDeviceCode(c.String("device-state"))
	if err != nil {
		return nil, err
	}
	b, secrets, err := participant.EncryptBallot(v.state, v.cred.Public, choices, writeIns, prev)
	if err != nil {
		return nil, err
	}
	code := b.ConfirmationCode()
	if err := replaceFile(c.String("device-state"), []byte(code.String()+"\n"), 0o600); err != nil {
		return nil, err
	}
	p := say(c)
	p.Fprintln(out(c), p.Sprintf("cli.vote.encrypted", code.Short()))
	p.Fprintln(out(c), p.Sprintf("cli.vote.choices"))
	printChoices(c, m, choices, writeIns)
	if cur, ok := v.state.CastBallot(v.cred.Public); ok {
		p.Fprintln(out(c), p.Sprintf("cli.vote.replaces", fmt.Sprint(cur)))
	}
	return ballot.Challenge(b, secrets), nil
}

// voteAtTerminal encrypts, shows the code, then asks whether to cast or
// challenge that ballot.
func voteAtTerminal(c *cli.Context) error {
	if c.App.Reader == os.Stdin && !term.IsTerminal(int(os.Stdin.Fd())) {
		return withHint(errors.New("evote vote asks at the terminal whether to cast or challenge"),
			"without a terminal, run `evote vote prepare`, then `evote vote cast` or `evote vote challenge`")
	}
	v, p, err := openAndPrepare(c)
	if err != nil {
		return err
	}
	in := bufio.NewReader(c.App.Reader)
	for {
		fmt.Fprint(out(c), say(c).Sprintf("cli.vote.ask"))
		line, err := in.ReadString('\n')
		answer := strings.ToLower(strings.TrimSpace(line))
		switch {
		case answer == "c" || answer == "cast":
			return v.cast(p)
		case answer == "a" || answer == "challenge":
			return v.challenge(p)
		case answer == "q" || answer == "quit" || err != nil:
			fmt.Fprintln(out(c), say(c).Sprintf("cli.vote.discarded"))
			return nil
		}
	}
}

// openAndPrepare replays the board and encrypts the choices of --choices.
func openAndPrepare(c *cli.Context) (*voter, *ballot.ChallengedBallot, error) {
	v, err := openVoter(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := v.prepare()
	return v, p, err
}

// votePrepare encrypts and keeps the ballot for a later cast or challenge.
func votePrepare(c *cli.Context) error {
	_, p, err := openAndPrepare(c)
	if err != nil {
		return err
	}
	path := c.String("out")
	if err := writeNewFile(path, append(p.Marshal(), '\n'), 0o600); err != nil {
		return err
	}
	say := say(c)
	fmt.Fprintln(out(c), say.Sprintf("cli.vote.prepared", path))
	fmt.Fprintln(out(c), say.Sprintf("cli.vote.next", path))
	return nil
}

// votePrepared casts or challenges the ballot of --prepared, then removes
// the file: a cast ballot's secrets must not outlive it, and a challenged
// ballot's are public.
func votePrepared(c *cli.Context, cast bool) error {
	path := c.String("prepared")
	data, err := os.ReadFile(path)
	if err != nil {
		return withHint(fmt.Errorf("reading the prepared ballot: %w", err), "prepare one first with `evote vote prepare`")
	}
	p, err := ballot.ParseChallengedBallot(bytes.TrimSpace(data))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	v, err := openVoter(c)
	if err != nil {
		return err
	}
	if !v.cred.Public.Equal(p.Ballot.Credential) {
		return fmt.Errorf("%s was prepared for another credential than %s", path, c.String("credential"))
	}
	if e := v.state.Election(); e == nil || e.BaseHash != p.Ballot.Election {
		return fmt.Errorf("%s was prepared for another election than the board's", path)
	}
	fmt.Fprintln(out(c), say(c).Sprintf("cli.vote.code", p.Ballot.ConfirmationCode().Short()))
	if cast {
		err = v.cast(p)
	} else {
		err = v.challenge(p)
	}
	if err != nil {
		return err
	}
	return os.Remove(path)
}

// cast posts the ballot and saves its receipt in a file of its own.
func (v *voter) cast(p *ballot.ChallengedBallot) error {
	c := v.c
	path := c.String("receipt")
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return withHint(fmt.Errorf("%s exists", path), "receipts are never overwritten: name another --receipt, or leave it out")
		}
	}
	posted, err := submit(c.Context, v.client, election.KeySigner(v.cred.Private), election.TypeBallot, p.Ballot)
	if err != nil {
		return err
	}
	if path == "" {
		path = fmt.Sprintf("receipt-%d.txt", posted.Record.Index)
	}
	if err := writeNewFile(path, posted.Receipt.Marshal(), 0o644); err != nil {
		return fmt.Errorf("your ballot is record %d, but saving its receipt failed: %w", posted.Record.Index, err)
	}
	say := say(c)
	fmt.Fprintln(out(c), say.Sprintf("cli.vote.cast", fmt.Sprint(posted.Record.Index), path))
	if posted.Notice != "" {
		fmt.Fprintln(out(c), say.Sprintf("cli.vote.notice", posted.Notice))
	}
	return nil
}

// challenge posts the ballot with its randomness and shows what anyone
// can now check it encrypts.
func (v *voter) challenge(p *ballot.ChallengedBallot) error {
	c := v.c
	rec, _, err := post(c.Context, v.client, election.KeySigner(v.cred.Private), election.TypeChallenge, p)
	if err != nil {
		return err
	}
	say := say(c)
	fmt.Fprintln(out(c), say.Sprintf("cli.vote.challenged", fmt.Sprint(rec.Index)))
	choices, err := p.ManifestChoices(v.state.Election())
	if err != nil {
		return err
	}
	printChoices(c, v.state.Manifest(), choices, p.ManifestWriteIns(v.state.Election()))
	fmt.Fprintln(out(c), say.Sprintf("cli.vote.never"))
	return nil
}

// parseChoices reads "contest=option[:count],…;…" against the definition,
// for the ballot of voter v: only the contests of v's ballot style; and
// the write-ins written option="NAME" (nil if there are none). A ranked
// contest may also be written "contest=first>second>…", which gives the
// candidates named the ranks 1, 2, … in order.
func parseChoices(m *ballot.Manifest, v ballot.Voter, s string) (ballot.Choices, ballot.WriteIns, error) {
	choices, err := ballot.NewStyleChoices(m, v.Style)
	if err != nil {
		return nil, nil, err
	}
	var writeIns ballot.WriteIns
	parts, err := splitQuoted(s, ';')
	if err != nil {
		return nil, nil, err
	}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cid, opts, ok := strings.Cut(part, "=")
		if !ok {
			return nil, nil, fmt.Errorf("choices: %q is not contest=option,…", part)
		}
		cid = strings.TrimSpace(cid)
		ci := m.ContestIndex(cid)
		if ci < 0 {
			return nil, nil, fmt.Errorf("choices: no contest %q in this election", cid)
		}
		if choices[ci] == nil {
			return nil, nil, withHint(fmt.Errorf("choices: contest %q is not on your ballot (style %q)", cid, v.Style), "`evote voter check-roll` lists the contests on your ballot")
		}
		if strings.Contains(opts, ">") && !strings.Contains(opts, `"`) { // a name written in may hold '>'
			if err := parseRanking(m.Contests[ci], opts, choices[ci]); err != nil {
				return nil, nil, err
			}
			continue
		}
		mc := &m.Contests[ci]
		list, err := splitQuoted(opts, ',')
		if err != nil {
			return nil, nil, err
		}
		for _, o := range list {
			o = strings.TrimSpace(o)
			if oid, name, ok := strings.Cut(o, "="); ok {
				if mc.WriteIn == nil || mc.Options[mc.WriteIn.Option].ID != strings.TrimSpace(oid) {
					return nil, nil, fmt.Errorf("choices: %q: only the write-in option of a contest that has one takes a name, and contest %q has %s", o, cid, writeInOf(mc))
				}
				name = strings.TrimSpace(name)
				if len(name) < 2 || name[0] != '"' || name[len(name)-1] != '"' {
					return nil, nil, fmt.Errorf(`choices: %q: write the name in double quotes, %s="NAME"`, o, strings.TrimSpace(oid))
				}
				if writeIns == nil {
					writeIns = make(ballot.WriteIns, len(m.Contests))
				}
				writeIns[ci] = name[1 : len(name)-1]
				o = oid
			}
			oid, count, hasCount := strings.Cut(strings.TrimSpace(o), ":")
			if oid == "" {
				continue
			}
			n := uint64(1)
			if hasCount {
				var err error
				if n, err = strconv.ParseUint(count, 10, 32); err != nil {
					return nil, nil, fmt.Errorf("choices: %q: count must be a whole number", o)
				}
			}
			oi := -1
			for k, opt := range mc.Options {
				if opt.ID == oid {
					oi = k
				}
			}
			if oi < 0 {
				return nil, nil, fmt.Errorf("choices: contest %q has no option %q", cid, oid)
			}
			choices[ci][oi] += n
		}
	}
	return choices, writeIns, nil
}

// writeInOf names a contest's write-in option, for messages.
func writeInOf(mc *ballot.Contest) string {
	if mc.WriteIn == nil {
		return "no write-in"
	}
	return fmt.Sprintf("write-in option %q", mc.Options[mc.WriteIn.Option].ID)
}

// splitQuoted splits s at every sep outside double quotes.
func splitQuoted(s string, sep byte) ([]string, error) {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, fmt.Errorf("choices: %q has an unclosed double quote", s)
	}
	return append(out, s[start:]), nil
}

// parseRanking reads "first>second>…" of ranked contest mc into ranks:
// the candidates named get the ranks 1, 2, … in order; each may be named
// once.
func parseRanking(mc ballot.Contest, s string, ranks []uint64) error {
	if !mc.Ranked() {
		return fmt.Errorf("choices: contest %q is not ranked: write its options as %s=option,option", mc.ID, mc.ID)
	}
	if slices.ContainsFunc(ranks, func(r uint64) bool { return r != 0 }) {
		return fmt.Errorf("choices: contest %q is ranked twice", mc.ID)
	}
	for n, oid := range strings.Split(s, ">") {
		oid = strings.TrimSpace(oid)
		k := slices.IndexFunc(mc.Options, func(o ballot.Option) bool { return o.ID == oid })
		switch {
		case oid == "":
			return fmt.Errorf("choices: contest %q: %q names no candidate between two '>'", mc.ID, s)
		case k < 0:
			return fmt.Errorf("choices: contest %q has no candidate %q", mc.ID, oid)
		case ranks[k] != 0:
			return fmt.Errorf("choices: contest %q: candidate %q is ranked twice", mc.ID, oid)
		}
		ranks[k] = uint64(n + 1)
	}
	return nil
}

// printChoices lists the choices of every contest on the ballot (those
// with choices), with the names written in (writeIns, nil for none): a
// ranked contest's candidates in the order ranked.
func printChoices(c *cli.Context, m *ballot.Manifest, ch ballot.Choices, writeIns ballot.WriteIns) {
	for i, contest := range m.Contests {
		if ch[i] == nil {
			continue // not on this ballot
		}
		var picked []string
		for k, n := range ch[i] {
			if n == 0 || contest.Ranked() {
				continue
			}
			pick := fmt.Sprintf("%s×%d", contest.Options[k].Title, n)
			if contest.WriteIn != nil && contest.WriteIn.Option == k && writeIns != nil {
				pick += fmt.Sprintf(" %q", writeIns[i])
			}
			picked = append(picked, pick)
		}
		if contest.Ranked() {
			for rank := uint64(1); rank <= uint64(contest.OptionMax); rank++ {
				for k, n := range ch[i] {
					if n == rank {
						picked = append(picked, fmt.Sprintf("%d. %s", rank, contest.Options[k].Title))
					}
				}
			}
		}
		if len(picked) == 0 {
			picked = []string{"(none)"}
		}
		fmt.Fprintf(out(c), "  %s: %s\n", contest.Title, strings.Join(picked, ", "))
	}
}

// hintedReceiptBoard returns a client of the operator name at the url hint
// that the election's definition gives for it, under the board key it
// names, the definition being the one a follower of cl verified; nil if
// the definition gives no address for an operator of that name, or if cl's
// checkpoint does not verify under its key (the key of another board than
// cl's: no definition to read there).
func hintedReceiptBoard(c *cli.Context, cl *client.Client, name string) (*client.Client, error) {
	if _, err := cl.Checkpoint(c.Context); err != nil {
		return nil, nil
	}
	st, err := syncBoard(c.Context, newFollower(cl), 0)
	if err != nil {
		return nil, boardRefusal(err, "could not check the receipt")
	}
	m := st.Manifest()
	if m == nil {
		return nil, nil
	}
	op := m.Operator(name)
	if op == nil || op.URL == "" {
		return nil, nil
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: checking the receipt on %s\n", strings.TrimSuffix(hintedAt(op.Name, op.URL), ","))
	return client.New(op.URL, op.BoardKey, nil)
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

// checkReceipt checks a receipt against the board, replayed and verified
// up to its latest checkpoint, and says whether the ballot still counts.
// It checks it on the operator whose checkpoint it carries: one of
// --board, or else the operator of that name that the election's
// definition, read and verified on the first of --board, gives a url hint
// for, under the board key the definition names for it.
func checkReceipt(c *cli.Context) error {
	data, err := os.ReadFile(c.String("receipt"))
	if err != nil {
		return err
	}
	receipt, err := bulletin.ParseReceipt(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
	if err != nil {
		return withHint(err, "this is not a receipt file, or it was changed")
	}
	// The receipt is checked on the operator that signed it, whose
	// checkpoints its own extend.
	clients, err := boardClients(c)
	if err != nil {
		return err
	}
	var cl *client.Client
	var signed bulletin.Checkpoint
	var other *bulletin.OtherBoardError
	for _, k := range clients {
		if signed, err = receipt.Verify(k.Key()); !errors.As(err, &other) {
			cl = k
			break
		}
	}
	if cl == nil {
		if cl, err = hintedReceiptBoard(c, clients[0], other.Receipt); err != nil {
			return err
		}
		if cl == nil {
			return withHint(fmt.Errorf("this receipt is from board %q, not from board %q (--board-key): nothing is wrong with either", other.Receipt, other.Board),
				"check it on the board it names, with that board's URL and key")
		}
		signed, err = receipt.Verify(cl.Key())
	}
	if err != nil {
		return withHint(fmt.Errorf("the receipt itself does not verify: %w", err), "is --board-key the key of the board you voted on?")
	}
	f := newFollower(cl)
	st, err := syncBoard(c.Context, f, 0)
	if err != nil {
		return boardRefusal(err, "could not check the receipt")
	}
	// The receipt's checkpoint must be one history with the board's.
	if _, err := cl.VerifyCheckpoint(c.Context, receipt.Checkpoint); err != nil {
		return fmt.Errorf("NOT FOUND: the board's history does not contain the one your receipt was signed for (%w): keep your receipt and tell the election official and observers", err)
	}
	if f.Checkpoint().Size <= receipt.Index {
		// A witnessed checkpoint may lag the board's latest by a moment.
		if st, err = syncBoard(c.Context, f, receipt.Index+1); err != nil {
			return boardRefusal(err, "could not yet check the receipt against a checkpoint that covers it")
		}
	}
	latest := f.Checkpoint()
	fmt.Fprintf(out(c), "checked against board %s (log %q), verified up to its signed checkpoint of %d records (root %s)\n",
		cl.URL(), latest.Origin, latest.Size, latest.Hash)
	leaf, err := f.LeafHash(receipt.Index)
	if err != nil || leaf != receipt.LeafHash {
		return fmt.Errorf("NOT FOUND: record %d on the board is not the ballot of your receipt: keep your receipt and tell the election official and observers", receipt.Index)
	}
	rec, err := cl.Record(c.Context, receipt.Index)
	if err != nil {
		return fmt.Errorf("fetching record %d: %w", receipt.Index, err)
	}
	if rec.LeafHash() != leaf {
		return fmt.Errorf("the board served record %d differently from the copy it verified: keep your receipt and tell the election official and observers", receipt.Index)
	}
	status, ok := st.BallotStatus(rec)
	switch {
	case !ok:
		return fmt.Errorf("NOT FOUND: record %d (in the board's tree of %d records your receipt was signed for) is not a counted or replaced ballot", receipt.Index, signed.Size)
	case status.Counted:
		fmt.Fprintln(out(c), say(c).Sprintf("cli.receipt.counted", fmt.Sprint(receipt.Index)))
		return nil
	}
	say := say(c)
	fmt.Fprintln(out(c), say.Sprintf("cli.receipt.warning"))
	fmt.Fprint(out(c), say.Sprintf("cli.receipt.replaced",
		fmt.Sprint(receipt.Index), fmt.Sprint(status.ReplacedBy), status.ReplacedAt.Format("2006-01-02 15:04:05 UTC")))
	if status.Current != status.ReplacedBy {
		fmt.Fprint(out(c), say.Sprintf("cli.receipt.counts-now", fmt.Sprint(status.Current)))
	}
	fmt.Fprintln(out(c))
	return withHint(fmt.Errorf("your ballot, record %d, was replaced by record %d", receipt.Index, status.ReplacedBy),
		"if you did not vote again yourself, someone else holds your credential: tell the election official and observers now, and vote again while voting is open")
}

package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/litewitness"
	"github.com/evote/evote/internal/progress"
	"github.com/evote/evote/verifier"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run a whole election end to end on a local board and verify it",
		Description: `The demo writes a sample election definition with several kinds of contest,
starts a bulletin board (SQLite) on loopback, has a registrar (not the
official) put the voters on the roll, runs the key ceremony of 5
trustees with threshold 3, casts ballots for N simulated voters through the
board's HTTP API (with a few Benaloh challenges and re-votes), closes voting,
decrypts the tally with only 3 trustees, publishes the result, exports the
record and verifies it from scratch. Three independent witnesses
(litewitness, c2sp.org/tlog-witness) cosign the board's checkpoints, and
every participant demands two of their cosignatures before it acts. It
leaves everything in --dir.

With --credentials registrar (the default) the registrar generates each
voter's credential; with --credentials voter each voter makes its own and
sends the registrar a signed registration request, so nobody but the
voter ever holds its private key.

With --operators 4 the board is kept by four operators on loopback, as
evote network init and evote board serve --network run them
(docs/spec/replicated-board.md): each has its own CometBFT node, board key,
cosignature key and SQLite database, and serves checkpoints cosigned by
the others; the definition names the operators, so every participant
demands the cosignatures of three of the four on each checkpoint it acts
on; the participants post to each in turn and fall over to the next when
one fails, and at the end each operator's export is
verified against its own checkpoint and the exports are compared byte for
byte.`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "voters", Usage: "number of simulated voters", Value: 1000},
			&cli.IntFlag{Name: "challenges", Usage: "number of Benaloh challenges", Value: 5},
			&cli.IntFlag{Name: "revotes", Usage: "number of voters who vote twice", Value: 10},
			&cli.IntFlag{Name: "absent", Usage: "number of trustees absent at the tally (at most n − t = 2)", Value: 2},
			&cli.StringFlag{Name: "dir", Usage: "folder to leave the database, record and keys in", Value: "evote-demo"},
			&cli.IntFlag{Name: "witnesses", Usage: "number of witnesses cosigning the board's checkpoints (0: none)", Value: 3},
			&cli.IntFlag{Name: "witness-quorum", Usage: "cosignatures every participant demands", Value: 2},
			&cli.StringFlag{Name: "credentials", Usage: "`WHO` makes the voters' credentials: registrar or voter", Value: "registrar"},
			&cli.IntFlag{Name: "operators", Usage: "run the board as `N` operators ordering records by consensus (CometBFT) on loopback, instead of one board; 4 tolerate one faulty operator (no witnesses then)"},
		},
		Action:      runDemo,
		Subcommands: []*cli.Command{demoWitnessesCommand()},
	}
}

// demo is one run of the demo, with what it leaves behind.
type demo struct {
	c         *cli.Context
	dir       string
	log       *bulletin.Log
	store     store.Store
	client    *client.Client
	origin    string
	vkey      string
	url       string
	view      *follow.Follower
	witnesses []*litewitness.Witness
	quorum    int
	start     time.Time

	// A board kept by operators (--operators): each one, and the posts
	// that fall over between them; turn picks the next for a ballot.
	ops       []*demoOperator
	operators []ballot.Operator // as the definition names them
	boards    *client.Boards
	turn      atomic.Int64

	posted follow.Need // records posted so far
	need   follow.Need // records the participants' view must cover before they act
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(out(d.c), "[%5.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func runDemo(c *cli.Context) error {
	voters, challenges, revotes := c.Int("voters"), c.Int("challenges"), c.Int("revotes")
	if voters < 1 || challenges < 0 || revotes < 0 || revotes > voters || challenges > voters {
		return errors.New("need --voters ≥ 1, and --challenges and --revotes between 0 and --voters")
	}
	absent := c.Int("absent")
	if absent < 0 || absent > demoTrustees-demoThreshold {
		return fmt.Errorf("--absent must be between 0 and %d: the tally needs %d of the %d trustees", demoTrustees-demoThreshold, demoThreshold, demoTrustees)
	}
	nw, quorum := c.Int("witnesses"), c.Int("witness-quorum")
	if nw < 0 || nw > 10 || nw > 0 && (quorum < 1 || quorum > nw) {
		return errors.New("need --witnesses from 0 to 10 and --witness-quorum from 1 to --witnesses")
	}
	mode := c.String("credentials")
	if mode != "registrar" && mode != "voter" {
		return fmt.Errorf("--credentials is %q: want registrar (the registrar generates them) or voter (each voter makes its own)", mode)
	}
	ops := c.Int("operators")
	if ops < 0 || ops > 16 {
		return fmt.Errorf("--operators %d: want 0 (one board) to 16", ops)
	}
	if ops > 0 {
		if c.IsSet("witnesses") && nw > 0 {
			return errors.New("--operators runs without witnesses: the operators cosign each other's checkpoints; drop --witnesses")
		}
		nw = 0
	}
	d := &demo{c: c, dir: c.String("dir"), start: time.Now(), origin: demoOrigin, quorum: quorum}
	if err := d.prepareDir(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	start := func() (func(), error) { return d.startBoard(ctx, nw) }
	if ops > 0 {
		start = func() (func(), error) { return d.startNetwork(ctx, ops) }
	}
	stop, err := start()
	if err != nil {
		return err
	}
	defer stop()

	opts := simulate.Options{
		Title: "Demo municipal election", Voters: voters, Trustees: demoTrustees, Threshold: demoThreshold,
		Contests:  demoContests(),
		Board:     &ballot.Board{Origin: d.origin, Key: d.vkey},
		VoterHeld: mode == "voter",
	}
	if ops > 0 {
		// Each operator signs with its own key: the definition names
		// none of them alone, but the operators, more than two thirds of
		// whom must cosign every checkpoint a participant acts on
		// (docs/spec/replicated-board.md §8).
		opts.Board, opts.Operators = nil, d.operators
	}
	for _, w := range d.witnesses {
		opts.Witnesses = append(opts.Witnesses, ballot.Witness{Name: w.Name, Key: w.VKey})
		opts.WitnessQuorum = quorum
	}
	e, err := simulate.New(ctx, d.post, d.state, opts)
	if err != nil {
		return err
	}
	if err := d.saveKeys(e); err != nil {
		return err
	}
	d.step("posted the election definition: %d contests, %d trustees, threshold %d; the voter roll is the registrar's, not the official's",
		len(e.Manifest.Contests), len(e.Trustees), e.Manifest.Threshold)
	if mode == "voter" {
		d.step("%d voters made their own credentials on their devices and sent the registrar signed registration requests; it checked them, posted the keys to the roll and closed it (nobody but each voter ever held a private key)", voters)
	} else {
		d.step("the registrar generated %d credentials, posted their public keys to the roll and closed it (the official holds none)", voters)
	}

	if err := e.Ceremony(ctx); err != nil {
		return err
	}
	if err := d.saveTrustees(e); err != nil {
		return err
	}
	d.step("key ceremony done: every trustee checked its shares and accepted; joint key posted")
	if err := e.SetPhase(ctx, election.PhaseOpen); err != nil {
		return err
	}
	d.step("voting is open")
	if ops > 0 {
		// Ballots go to every operator: each must have the opening first.
		if _, err := d.waitOperators(ctx, d.need.Size()); err != nil {
			return err
		}
	}

	if err := d.castAll(ctx, e, voters); err != nil {
		return err
	}
	for v := range challenges {
		if _, err := e.Challenge(ctx, v, e.RandomChoices()); err != nil {
			return err
		}
	}
	for v := range revotes {
		if _, _, err := e.Cast(ctx, voters-1-v, e.RandomChoices()); err != nil {
			return err
		}
	}
	d.step("%d Benaloh challenges posted (never counted), %d voters voted again", challenges, revotes)

	d.need.CoverAll(d.posted.Size()) // the close names every record before it
	if err := e.SetPhase(ctx, election.PhaseClosed); err != nil {
		return err
	}
	if ops > 0 {
		d.step("voting is closed")
	} else {
		if err := d.snapshotAtClose(ctx); err != nil {
			return err
		}
		d.step("voting is closed; a copy of the board and its witnesses as they are now is in %s", filepath.Join(d.dir, "at-close"))
	}
	away := map[int]bool{}
	for _, i := range []int{3, 5}[:absent] {
		away[i] = true
	}
	var present, missing []string
	var here []int
	for i := 1; i <= demoTrustees; i++ {
		if away[i] {
			missing = append(missing, fmt.Sprint(i))
			continue
		}
		if err := e.Decrypt(ctx, i); err != nil {
			return err
		}
		present = append(present, fmt.Sprint(i))
		here = append(here, i)
	}
	if len(missing) == 0 {
		missing = []string{"none"}
	}
	d.step("trustees %s posted partial decryptions; absent: %s", strings.Join(present, ", "), strings.Join(missing, ", "))
	if _, err := e.Tally(ctx); err != nil {
		return err
	}
	d.step("result combined and posted; it matches the choices the simulated voters cast")
	if err := d.mixAndCount(ctx, e, here); err != nil {
		return err
	}

	export, writeGuide, verify := d.export, d.writeGuide, d.verify
	if ops > 0 {
		export = func(ctx context.Context) error { return d.exportOperators(ctx, d.posted.Size()) }
		writeGuide, verify = d.writeOperatorsGuide, d.verifyOperators
	}
	if err := export(ctx); err != nil {
		return err
	}
	if err := d.writeExpected(e); err != nil {
		return err
	}
	if err := writeGuide(); err != nil {
		return err
	}
	return verify(ctx)
}

// writeExpected leaves the plaintext totals the simulated voters cast, in
// the shape of the verifier's JSON result, so anyone can compare.
func (d *demo) writeExpected(e *simulate.Election) error {
	type option struct {
		ID    string `json:"id"`
		Count uint64 `json:"count"`
	}
	type contest struct {
		ID      string   `json:"id"`
		Options []option `json:"options"`
	}
	want := e.Expected()
	var out []contest
	k := 0
	for _, c := range e.Manifest.Contests {
		ct := contest{ID: c.ID}
		for _, o := range c.Options {
			ct.Options = append(ct.Options, option{ID: o.ID, Count: want[k]})
			k++
		}
		out = append(out, ct)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return writeNewFile(filepath.Join(d.dir, "expected-counts.json"), append(b, '\n'), 0o644)
}

// verify re-verifies the exported record from scratch, as an observer
// would, and prints the report.
func (d *demo) verify(ctx context.Context) error {
	d.step("verifying the exported record from scratch, as an observer would")
	f, err := os.Open(filepath.Join(d.dir, "record.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	cp, err := os.ReadFile(filepath.Join(d.dir, "checkpoint.txt"))
	if err != nil {
		return err
	}
	r := verifier.Verify(ctx, verifier.Export(f, filepath.Join(d.dir, "record.jsonl")), verifier.Options{
		BoardKey:    d.vkey,
		Checkpoints: [][]byte{cp},
		Progress:    newProgressPrinter(d.c.App.ErrWriter),
	})
	fmt.Fprintln(out(d.c))
	if err := r.WriteText(out(d.c)); err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("the demo's own record failed verification: %d problems", r.Problems)
	}
	fmt.Fprintf(out(d.c), "\ndemo finished in %s; everything is in %s (see %s)\n",
		time.Since(d.start).Round(100*time.Millisecond), d.dir, filepath.Join(d.dir, "README.txt"))
	return nil
}

func (d *demo) prepareDir() error {
	if entries, err := os.ReadDir(d.dir); err == nil && len(entries) > 0 {
		return withHint(fmt.Errorf("%s is not empty", d.dir), "remove it, or pass --dir NEWDIR")
	}
	return os.MkdirAll(d.dir, 0o755)
}

// startBoard creates the board's key and database and serves it on a
// loopback port.
func (d *demo) startBoard(ctx context.Context, witnesses int) (stop func(), err error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, d.origin)
	if err != nil {
		return nil, err
	}
	if err := writeNewFile(filepath.Join(d.dir, "board.skey"), []byte(skey+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := writeNewFile(filepath.Join(d.dir, "board.vkey"), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	d.vkey = vkey
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if err := d.startWitnesses(ctx, witnesses); err != nil {
		return nil, err
	}
	stops = append(stops, d.stopWitnesses)
	db := filepath.Join(d.dir, "board.db")
	b, err := openBoard(ctx, boardConfig{
		db:        db,
		create:    true,
		vkey:      vkey,
		log:       bulletin.LogOptions{Signer: signer, Snapshot: statePath("", db)},
		witnesses: d.witnessList(),
		quorum:    d.quorum,
	})
	if err != nil {
		stop()
		return nil, err
	}
	stops = append(stops, b.close)
	d.store, d.log = b.store, b.log
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return nil, err
	}
	hs := b.httpServer()
	go hs.Serve(ln)
	stops = append(stops, func() { hs.Close() })
	d.url = "http://" + ln.Addr().String()
	if d.client, err = client.New(d.url, vkey, nil); err != nil {
		stop()
		return nil, err
	}
	d.view = follow.New(d.client)
	d.step("bulletin board %q serving %s (database %s)", d.origin, d.url, filepath.Join(d.dir, "board.db"))
	return stop, nil
}

// post is the simulation's PostFunc: it posts over HTTP and keeps count
// of what the participants must see before they act again. Ballots do not
// change what the next steps depend on, except the close (see runDemo).
func (d *demo) post(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
	var rec *bulletin.Record
	var receipt *bulletin.Receipt
	var err error
	if d.boards != nil {
		var p *client.Posted
		if p, err = d.postToOperators(ctx, sub); err == nil {
			rec, receipt = p.Record, p.Receipt
		}
	} else {
		rec, receipt, err = d.client.Post(ctx, sub)
	}
	if err != nil {
		return nil, nil, err
	}
	d.posted.Cover(rec)
	if sub.Type != election.TypeBallot && sub.Type != election.TypeChallenge {
		d.need.Cover(rec)
	}
	return rec, receipt, nil
}

// state is the simulation's StateFunc: the participants' verified view of
// the board, once its witnessed checkpoint covers what they must see.
func (d *demo) state(ctx context.Context) (*election.State, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return d.view.SyncTo(ctx, d.need.Size())
}

// saveKeys leaves the definition, the official's and registrar's keys and the voters'
// credentials in the folder so that a person can continue by hand.
func (d *demo) saveKeys(e *simulate.Election) error {
	def, err := e.Manifest.MarshalCanonical()
	if err != nil {
		return err
	}
	if err := writeNewFile(filepath.Join(d.dir, "election.json"), def, 0o644); err != nil {
		return err
	}
	if err := writeSigningKey(filepath.Join(d.dir, "official.key"), ed25519.PrivateKey(e.Official)); err != nil {
		return err
	}
	if err := writeSigningKey(filepath.Join(d.dir, "registrar.key"), ed25519.PrivateKey(e.Registrar)); err != nil {
		return err
	}
	creds := filepath.Join(d.dir, "credentials")
	if err := os.MkdirAll(creds, 0o700); err != nil {
		return err
	}
	for i, cred := range e.Voters {
		b, err := cred.Marshal()
		if err != nil {
			return err
		}
		if err := writeNewFile(filepath.Join(creds, e.Voters[i].Voter+".json"), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// saveTrustees leaves each trustee's keystore, holding its keys and the
// secret share it accepted in the ceremony, as `evote trustee ceremony`
// would have.
func (d *demo) saveTrustees(e *simulate.Election) error {
	for i, k := range e.Trustees {
		dir := filepath.Join(d.dir, fmt.Sprintf("trustee-%d", i+1))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		ts := &ceremony.TrusteeState{Keys: k, Share: e.Shares[i]}
		if err := saveKeystore(filepath.Join(dir, "trustee.keystore"), []byte(demoPassphrase), ts, false); err != nil {
			return err
		}
	}
	return nil
}

// The demo's ceremony: 5 trustees, any 3 of whom can decrypt.
const (
	demoTrustees  = 5
	demoThreshold = 3
)

// demoPassphrase protects the demo trustees' keystores. It is printed in
// the guide: the demo's keys protect nothing.
const demoPassphrase = "demo passphrase"

// castAll casts one random ballot per voter, on all cores, with progress.
func (d *demo) castAll(ctx context.Context, e *simulate.Election, voters int) error {
	var done atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	// Voters spend much of their time waiting for the board's durable
	// commit, so more of them than cores keeps both cores busy.
	workers := 4 * runtime.NumCPU()
	if d.boards != nil {
		// Operators answer once a block commits, a few hundred
		// milliseconds: many more voters wait at once.
		workers *= 8
	}
	next := make(chan int)
	g.Go(func() error {
		defer close(next)
		for v := range voters {
			select {
			case next <- v:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for v := range next {
				if _, _, err := e.Cast(ctx, v, e.RandomChoices()); err != nil {
					return err
				}
				done.Add(1)
			}
			return nil
		})
	}
	bar := progress.New(d.c.App.ErrWriter, "casting ballots")
	finished := make(chan error, 1)
	go func() { finished <- g.Wait() }()
	for {
		select {
		case err := <-finished:
			if err != nil {
				return err
			}
			bar.Done(fmt.Sprintf("%d ballots in %s", voters, bar.Elapsed().Round(100*time.Millisecond)))
			d.step("%d ballots encrypted with proofs on the voters' side, cast over HTTP, verified and stored by the board (%.0f ballots/s)",
				voters, bar.Rate(int64(voters)))
			return nil
		case <-time.After(200 * time.Millisecond):
			n := done.Load()
			bar.Show(float64(n)/float64(voters), fmt.Sprintf("%d/%d ballots, %.0f/s", n, voters, bar.Rate(n)))
		}
	}
}

// export writes the whole record and the latest signed checkpoint.
func (d *demo) export(ctx context.Context) error {
	f, err := os.Create(filepath.Join(d.dir, "record.jsonl"))
	if err != nil {
		return err
	}
	n, err := bulletin.Export(ctx, d.store, f)
	if err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := d.view.SyncTo(wctx, n)
	if err != nil {
		return err
	}
	cp := d.view.Checkpoint()
	if err := writeNewFile(filepath.Join(d.dir, "checkpoint.txt"), cp.Note, 0o644); err != nil {
		return err
	}
	if c, err := st.CheckCheckpoint(cp.Note, cp.Checkpoint); err == nil && len(c.Names) > 0 {
		d.step("witnesses %s cosigned the board's checkpoint of all %d records", strings.Join(c.Names, ", "), cp.Size)
	}
	d.step("exported %d records to %s with the signed checkpoint %s", n, filepath.Join(d.dir, "record.jsonl"), filepath.Join(d.dir, "checkpoint.txt"))
	return nil
}

var guide = template.Must(template.New("guide").Parse(`This folder holds a complete evote election, made by ` + "`evote demo`" + `.

  election.json      the election definition (as posted, canonical)
  board.db           the bulletin board's SQLite database
  board.db.state     the board's saved election state, so that it serves again at once
  board.skey/.vkey   the board's checkpoint signing / verifier key (origin "{{.Origin}}")
  record.jsonl       the exported public record, one record per line
  checkpoint.txt     the board's last checkpoint, signed by the board{{if .Witnesses}} and cosigned by its witnesses{{end}}
  expected-counts.json  the totals the simulated voters cast, to compare with the result
  official.key       the official's signing key
  registrar.key      the registrar's signing key (it posted and closed the voter roll)
  trustee-N/         each trustee's keystore with its secret share (passphrase: "{{.Passphrase}}")
  credentials/       each voter's credential, named by voter identifier{{if .Witnesses}}
  witness-N/         each witness's key and litewitness database{{end}}
  at-close/          a copy of the board{{if .Witnesses}} and of its witnesses{{end}} as they were when voting closed

The commands below use an installed evote (go install ./cmd/evote from the
repository); "go run ./cmd/evote" works in its place. Run them from the
folder that holds {{.Dir}}.{{if .Witnesses}} The witnesses are litewitness from
filippo.io/torchwood: on $PATH, or built by "go tool" inside the repository.{{end}}

Re-verify the whole election from the public record alone:

  evote verify --record {{.Dir}}/record.jsonl --checkpoint {{.Dir}}/checkpoint.txt --board-key @{{.Dir}}/board.vkey

Serve the board again and look around ({{if .Witnesses}}its witnesses first, then the board, which
asks them to cosign; {{end}}stop with Ctrl-C, or kill %1 %2):
{{if .Witnesses}}
  evote demo witnesses --dir {{.Dir}} --listen 127.0.0.1:7381 --listen 127.0.0.1:7382 --listen 127.0.0.1:7383 &
  evote board serve --db {{.Dir}}/board.db --key {{.Dir}}/board.skey --addr 127.0.0.1:8080 --witness @{{.Dir}}/witnesses.txt --witness-quorum {{.Quorum}} &{{else}}
  evote board serve --db {{.Dir}}/board.db --key {{.Dir}}/board.skey --addr 127.0.0.1:8080 &{{end}}
  evote election status --board http://127.0.0.1:8080 --board-key @{{.Dir}}/board.vkey
  evote verify --board http://127.0.0.1:8080 --board-key @{{.Dir}}/board.vkey

Play the tally by hand, on a copy of the board{{if .Witnesses}} and its witnesses{{end}} as it was when
voting closed: each trustee replays and verifies the whole board, checks that
the official's closing record names the sums it recomputed{{if .Witnesses}} and that the
witnesses cosigned it{{end}}, and only then acts; any 3 of the 5 suffice. They
first mix the ranked contest's ballots in turn, each shuffling the output of
the mix before with a proof of shuffle, then decrypt the sums and the last
mix, and the official combines them and counts the ranked contest:
{{if .Witnesses}}
  cp -r {{.Dir}}/at-close tally-copy
  evote demo witnesses --dir tally-copy --listen 127.0.0.1:7391 --listen 127.0.0.1:7392 --listen 127.0.0.1:7393 &
  evote board serve --db tally-copy/board.db --key {{.Dir}}/board.skey --addr 127.0.0.1:8081 --witness @tally-copy/witnesses.txt --witness-quorum {{.Quorum}} &{{else}}
  cp {{.Dir}}/at-close/board.db tally-copy.db
  evote board serve --db tally-copy.db --key {{.Dir}}/board.skey --addr 127.0.0.1:8081 &{{end}}
  export EVOTE_BOARD=http://127.0.0.1:8081 EVOTE_BOARD_KEY=@{{.Dir}}/board.vkey EVOTE_PASSPHRASE='{{.Passphrase}}'
  evote trustee mix --keystore {{.Dir}}/trustee-2/trustee.keystore
  evote trustee mix --keystore {{.Dir}}/trustee-3/trustee.keystore
  evote trustee mix --keystore {{.Dir}}/trustee-5/trustee.keystore
  evote trustee decrypt --keystore {{.Dir}}/trustee-2/trustee.keystore
  evote trustee decrypt --keystore {{.Dir}}/trustee-3/trustee.keystore
  evote trustee decrypt --keystore {{.Dir}}/trustee-5/trustee.keystore
  evote tally --key {{.Dir}}/official.key --wait
  evote verify --board http://127.0.0.1:8081 --board-key @{{.Dir}}/board.vkey

To see the voter and observer pages as well, build them once with
scripts/build-web.sh web-build and add --web web-build to a serve command;
then open http://127.0.0.1:8080/observe.
`))

func (d *demo) writeGuide() error {
	f, err := os.Create(filepath.Join(d.dir, "README.txt"))
	if err != nil {
		return err
	}
	err = guide.Execute(f, map[string]any{"Dir": d.dir, "Passphrase": demoPassphrase, "Origin": d.origin,
		"Witnesses": len(d.witnesses) > 0, "Quorum": d.quorum})
	return errors.Join(err, f.Close())
}

// demoContests are the simulation's sample contests, a ranked one,
// counted by instant-runoff from the mixed and decrypted ballots, and a
// plurality contest with a write-in (about half the simulated voters write
// a name in), whose names are counted from the mixed and decrypted
// ballots.
func demoContests() []ballot.Contest {
	opts := func(ids ...string) []ballot.Option {
		var out []ballot.Option
		for _, id := range ids {
			out = append(out, ballot.Option{ID: id, Title: "Option " + id})
		}
		return out
	}
	return append(simulate.SampleContests(),
		ballot.Contest{ID: "tree", Title: "Town tree (rank up to 3)",
			Kind: ballot.KindRanked, Method: ballot.MethodIRV, MaxSelections: 3, OptionMax: 3, Options: opts("oak", "pine", "elm", "ash")},
		ballot.Contest{ID: "clerk", Title: "Town clerk (pick one, or write a name in)",
			Kind: ballot.KindPlurality, MinSelections: 1, MaxSelections: 1, OptionMax: 1, Options: opts("olga", "write-in"),
			WriteIn: &ballot.WriteIn{Option: 1, MaxBytes: 40}})
}

// mixAndCount has the trustees present mix the mix-net contests (ranked,
// or with a write-in) in turn, decrypt the last mixes, and the official
// post their counts.
func (d *demo) mixAndCount(ctx context.Context, e *simulate.Election, trustees []int) error {
	for _, i := range trustees {
		if err := e.Mix(ctx, i); err != nil {
			return err
		}
	}
	for _, i := range trustees {
		if err := e.DecryptMixes(ctx, i); err != nil {
			return err
		}
	}
	rs, err := e.CountRanked(ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		var c election.RankedCount
		if err := json.Unmarshal(r.Count, &c); err != nil {
			return err
		}
		if c.IRV == nil {
			return fmt.Errorf("ranked contest %q: no instant-runoff count", r.Contest)
		}
		winner := e.Manifest.Contests[e.Manifest.ContestIndex(r.Contest)].Options[c.IRV.Winner].ID
		d.step("ranked contest %q: mixed by trustees %v in turn (each with a proof of shuffle), its %d ballots decrypted with proofs and counted by %s: %s wins after %d rounds",
			r.Contest, trustees, c.Ballots, c.Method, winner, len(c.IRV.Rounds))
	}
	ws, err := e.CountWriteIns(ctx)
	if err != nil {
		return err
	}
	for _, r := range ws {
		var c election.WriteInCount
		if err := json.Unmarshal(r.Count, &c); err != nil {
			return err
		}
		var names []string
		for _, t := range c.Texts {
			names = append(names, fmt.Sprintf("%q %d", t.Text, t.Count))
		}
		d.step("write-in of contest %q: mixed by trustees %v in turn, its %d ballots decrypted with proofs; %d wrote a name in: %s",
			r.Contest, trustees, c.Ballots, c.Written, strings.Join(names, ", "))
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/verifier"
)

// demoOperator is one operator of the demo's replicated board.
type demoOperator struct {
	home, url, vkey string
	board           *runningBoard
	client          *client.Client
}

// demoOriginBase names the demo's replicated board: operator N's origin
// is demoOriginBase/opN.
const demoOriginBase = "evote-demo"

// startNetwork writes the homes of n operators in --dir/net (as evote
// network init --url does, each operator's URL a loopback port it listens
// at), runs each in this process with its HTTP API at its URL, each
// gathering the others' cosignatures of its checkpoints at theirs (as
// evote board serve --network does), and makes the participants post to
// all of them, falling over between them (client.Boards), and read
// operator 1.
func (d *demo) startNetwork(ctx context.Context, n int) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	// Each operator listens before any starts, so that each knows the
	// others' URLs and gathers their cosignatures.
	lns := make([]net.Listener, n)
	urls := make([]string, n)
	for i := range lns {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		ln := lns[i]
		stops = append(stops, func() { ln.Close() })
		urls[i] = "http://" + ln.Addr().String()
	}
	homes, ops, err := initNetwork(ctx, filepath.Join(d.dir, "net"), demoOriginBase, n, urls)
	if err != nil {
		return nil, err
	}
	// CometBFT's errors go to a file (a stopping node reports each closed
	// connection as one); its chatter goes nowhere.
	logPath := filepath.Join(d.dir, "net", "operators.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() { logFile.Close() })
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelError}))
	d.operators = replica.DefinitionOperators(ops, nil)
	clients := make([]*client.Client, n)
	for i, home := range homes {
		skey, err := readBoardKeyFile(filepath.Join(home, operatorSKey))
		if err != nil {
			return nil, err
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			return nil, err
		}
		cosignKey, err := readBoardKeyFile(filepath.Join(home, operatorCosignSKey))
		if err != nil {
			return nil, err
		}
		db := filepath.Join(home, operatorDB)
		b, err := openBoard(ctx, boardConfig{
			db:        db,
			network:   home,
			log:       bulletin.LogOptions{Signer: signer, Snapshot: statePath("", db)},
			cosignKey: cosignKey,
			operators: ops,
			peers:     replica.PeerURLs(ops, ops[i].Name),
			logger:    logger,
		})
		if err != nil {
			return nil, err
		}
		stops = append(stops, b.close)
		ln := lns[i]
		hs := b.httpServer()
		go hs.Serve(ln)
		stops = append(stops, func() { hs.Close() })
		op := &demoOperator{home: home, url: ops[i].URL, vkey: ops[i].BoardKey, board: b}
		if op.client, err = client.New(op.url, op.vkey, nil); err != nil {
			return nil, err
		}
		clients[i] = op.client
		d.ops = append(d.ops, op)
		d.step("operator %d of %d serving %s (CometBFT home and database in %s)", i+1, n, op.url, home)
	}
	if d.boards, err = client.NewBoards(clients, client.BoardsOptions{
		Hedge: client.DefaultHedge,
		OnFailover: func(from, to *client.Client, err error) {
			d.step("operator %s did not acknowledge a post (%v); posting it to %s", from.URL(), err, to.URL())
		},
		OnHedge: func(from, to *client.Client) {
			d.step("operator %s has not answered a post within %v; posting it to %s as well", from.URL(), client.DefaultHedge, to.URL())
		},
	}); err != nil {
		return nil, err
	}
	d.client, d.vkey, d.url = clients[0], ops[0].BoardKey, d.ops[0].url
	d.view = follow.New(d.client)
	d.step("the board is kept by %d operators, who order every record by consensus (CometBFT; its errors go to %s); the participants read operator 1 and post to every operator in turn", n, logPath)
	return stop, nil
}

// postToOperators posts sub through the operators: ballots and challenged
// ballots to each operator in turn, the rest to operator 1, whose records
// the participants read, so that no operator a block behind refuses a
// step the participants saw was due. Every post falls over to the next
// operator if the first does not acknowledge it.
func (d *demo) postToOperators(ctx context.Context, sub *bulletin.Submission) (*client.Posted, error) {
	first := 0
	if sub.Type == election.TypeBallot || sub.Type == election.TypeChallenge {
		first = int(d.turn.Add(1)) % len(d.ops)
	}
	return d.boards.Submit(ctx, sub, first)
}

// waitOperators waits until every operator's signed checkpoint covers
// size records, and returns their checkpoints.
func (d *demo) waitOperators(ctx context.Context, size int64) ([]bulletin.SignedCheckpoint, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cps := make([]bulletin.SignedCheckpoint, len(d.ops))
	for i, op := range d.ops {
		for {
			cp, err := op.client.Checkpoint(ctx)
			if err != nil {
				return nil, fmt.Errorf("operator %d: %w", i+1, err)
			}
			if cp.Size >= size {
				cps[i] = cp
				break
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("operator %d has %d records, want %d: %w", i+1, cp.Size, size, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return cps, nil
}

// exportOperators exports each operator's database with its signed
// checkpoint to --dir/opN/, once every operator holds all n records, and
// checks that the exports are the same bytes; operator 1's is also
// record.jsonl, with its checkpoint.
func (d *demo) exportOperators(ctx context.Context, n int64) error {
	cps, err := d.waitOperators(ctx, n)
	if err != nil {
		return err
	}
	var first []byte
	for i, op := range d.ops {
		var b bytes.Buffer
		if _, err := bulletin.Export(ctx, op.board.store, &b); err != nil {
			return fmt.Errorf("exporting operator %d: %w", i+1, err)
		}
		dir := filepath.Join(d.dir, fmt.Sprintf("op%d", i+1))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeNewFile(filepath.Join(dir, "record.jsonl"), b.Bytes(), 0o644); err != nil {
			return err
		}
		if err := writeNewFile(filepath.Join(dir, "checkpoint.txt"), cps[i].Note, 0o644); err != nil {
			return err
		}
		if err := writeNewFile(filepath.Join(dir, "board.vkey"), []byte(op.vkey+"\n"), 0o644); err != nil {
			return err
		}
		if first == nil {
			first = b.Bytes()
			continue
		}
		if !bytes.Equal(b.Bytes(), first) {
			return fmt.Errorf("operator %d's export differs from operator 1's: the operators do not hold the same log", i+1)
		}
	}
	if err := writeNewFile(filepath.Join(d.dir, "record.jsonl"), first, 0o644); err != nil {
		return err
	}
	if err := writeNewFile(filepath.Join(d.dir, "checkpoint.txt"), cps[0].Note, 0o644); err != nil {
		return err
	}
	d.step("exported each operator's %d records to %s/opN/record.jsonl with its signed checkpoint: the %d exports are byte-identical (SHA-256 %x)",
		n, d.dir, len(d.ops), sha256.Sum256(first))
	return nil
}

// verifyOperators re-verifies each operator's export from scratch against
// that operator's own signed checkpoint and key, and prints the report of
// operator 1's.
func (d *demo) verifyOperators(ctx context.Context) error {
	for i, op := range d.ops {
		dir := filepath.Join(d.dir, fmt.Sprintf("op%d", i+1))
		d.step("verifying operator %d's export from scratch, as an observer would", i+1)
		cp, err := os.ReadFile(filepath.Join(dir, "checkpoint.txt"))
		if err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(dir, "record.jsonl"))
		if err != nil {
			return err
		}
		r := verifier.Verify(ctx, verifier.Export(f, filepath.Join(dir, "record.jsonl")), verifier.Options{
			BoardKey:    op.vkey,
			Checkpoints: [][]byte{cp},
		})
		f.Close()
		if !r.OK {
			r.WriteText(out(d.c))
			return fmt.Errorf("operator %d's export failed verification: %d problems", i+1, r.Problems)
		}
		if i == 0 {
			fmt.Fprintln(out(d.c))
			if err := r.WriteText(out(d.c)); err != nil {
				return err
			}
			fmt.Fprintln(out(d.c))
		}
	}
	d.step("the verifier passed every operator's export against that operator's own signed checkpoint")
	fmt.Fprintf(out(d.c), "\ndemo finished in %s; everything is in %s (see %s)\n",
		time.Since(d.start).Round(100*time.Millisecond), d.dir, filepath.Join(d.dir, "README.txt"))
	return nil
}

var operatorsGuide = template.Must(template.New("guide").Parse(`This folder holds a complete evote election on a board kept by {{.N}}
operators, made by ` + "`evote demo --operators {{.N}}`" + `.

  election.json      the election definition (as posted, canonical)
  net/operators.log  the operators' CometBFT errors (a stopping node reports each closed connection)
  net/opN/           operator N's home: CometBFT's config, keys and data,
                     its board key (board.skey/.vkey, origin "{{.Origin}}/opN")
                     and its board database (board.db)
  opN/               operator N's export (record.jsonl), its signed
                     checkpoint (checkpoint.txt) and its key (board.vkey)
  record.jsonl       the exported public record (every operator's is the same bytes)
  checkpoint.txt     operator 1's last checkpoint
  expected-counts.json  the totals the simulated voters cast, to compare with the result
  official.key       the official's signing key
  registrar.key      the registrar's signing key
  trustee-N/         each trustee's keystore with its secret share (passphrase: "{{.Passphrase}}")
  credentials/       each voter's credential, named by voter identifier

Re-verify any operator's export from the public record alone:

  evote verify --record {{.Dir}}/op2/record.jsonl --checkpoint {{.Dir}}/op2/checkpoint.txt --board-key @{{.Dir}}/op2/board.vkey

Run the operators again (one terminal or "&" each): each listens at its
url in net/operators.json, as the definition names it, and gathers the
others' cosignatures at theirs. Read or post to any of them; a participant
given one operator falls over to the others at the definition's addresses:
{{range .Ops}}
  evote board serve --network {{.}} &{{end}}
  evote election status --board {{.URL}} --board-key @{{.Dir}}/op1/board.vkey
`))

// writeOperatorsGuide leaves README.txt for a demo with operators.
func (d *demo) writeOperatorsGuide() error {
	f, err := os.Create(filepath.Join(d.dir, "README.txt"))
	if err != nil {
		return err
	}
	ops := make([]string, len(d.ops))
	for i, op := range d.ops {
		ops[i] = op.home
	}
	err = operatorsGuide.Execute(f, map[string]any{"Dir": d.dir, "N": len(d.ops), "Origin": demoOriginBase, "Passphrase": demoPassphrase, "Ops": ops, "URL": d.ops[0].url})
	return errors.Join(err, f.Close())
}

package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"golang.org/x/sync/errgroup"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/verifier"
)

// electionNetwork is a network of operators whose boards run the
// election's rules, and what the tests posted through it.
type electionNetwork struct {
	*network
	trackers []*election.Tracker
	// send, if set, posts sub starting at operator op, in place of
	// appending it to op's log.
	send func(ctx context.Context, op int, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error)

	mu    sync.Mutex
	acked map[int64]bulletin.Record // acknowledged records, by index
	size  int64                     // one past the largest acknowledged index
}

func newElectionNetwork(t *testing.T, byzantine func(op int, c *Config)) *electionNetwork {
	en := &electionNetwork{trackers: make([]*election.Tracker, 4), acked: make(map[int64]bulletin.Record)}
	for i := range en.trackers {
		en.trackers[i] = new(election.Tracker)
	}
	en.network = newNetwork(t, len(en.trackers), func(op int) func() bulletin.Policy { return en.trackers[op].New }, byzantine)
	return en
}

// post appends sub through the next running operator, round robin, and
// remembers the record acknowledged. It first waits until that operator
// has every record acknowledged so far, as a participant acts on what it
// read from the operator it posts to: an operator a block behind the
// others checks a submission against its own state, and could refuse,
// say, a partial decryption posted just after the close it has not yet
// committed.
func (en *electionNetwork) post(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
	op := en.pick()
	en.mu.Lock()
	size := en.size
	en.mu.Unlock()
	en.waitSize(op, size)
	send := en.network.post
	if en.send != nil {
		send = en.send
	}
	rec, receipt, err := send(ctx, op, sub)
	if err == nil {
		en.mu.Lock()
		en.acked[int64(rec.Index)] = *rec
		en.size = max(en.size, int64(rec.Index)+1)
		en.mu.Unlock()
	}
	return rec, receipt, err
}

// state returns the election state of the first running operator once it
// has every record acknowledged so far, as a participant following that
// operator would see it.
func (en *electionNetwork) state(context.Context) (*election.State, error) {
	en.mu.Lock()
	size := en.size
	en.mu.Unlock()
	for op := range en.homes {
		if en.node(op) != nil {
			en.waitSize(op, size)
			return en.trackers[op].State(), nil
		}
	}
	return nil, fmt.Errorf("no operator is running")
}

// electionPlan shapes runElection.
type electionPlan struct {
	// voters cast a ballot each, revotes of them a second one; abstain
	// more voters are on the roll and cast nothing.
	voters, revotes, abstain int
	// during, if set, is called between the thirds of the ballots, with
	// the third just cast (1, then 2).
	during func(e *simulate.Election, third int)
	// board and operators, if set, are the definition's
	// (ballot.Manifest).
	board     *ballot.Board
	operators []ballot.Operator
}

// runElection runs a whole election through en: definition, roll, key
// ceremony (three trustees, any two decrypt), voting (each voter casts,
// several at a time, then some vote again), closing, partial decryptions
// and the result, which simulate checks against the ballots cast.
func (en *electionNetwork) runElection(plan electionPlan) *simulate.Election {
	t := en.t
	ctx := t.Context()
	e, err := simulate.New(ctx, en.post, en.state, simulate.Options{
		Voters: plan.voters + plan.abstain, Trustees: 3, Threshold: 2, Contests: simulate.SampleContests()[:2],
		Board: plan.board, Operators: plan.operators,
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for third := range 3 {
		var g errgroup.Group
		g.SetLimit(6)
		for v := third * plan.voters / 3; v < (third+1)*plan.voters/3; v++ {
			g.Go(func() error {
				_, _, err := e.Cast(ctx, v, e.RandomChoices())
				return err
			})
		}
		must(t, g.Wait())
		if plan.during != nil && third < 2 {
			plan.during(e, third+1)
		}
	}
	for v := range plan.revotes {
		if _, _, err := e.Cast(ctx, v, e.RandomChoices()); err != nil {
			t.Fatal(err)
		}
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	must(t, e.Decrypt(ctx, 1))
	must(t, e.Decrypt(ctx, 3))
	if _, err := e.Tally(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkRecord checks that every running operator holds the same log, of
// every record acknowledged (none lost) and nothing after them, and that
// the verifier passes each operator's export against its own checkpoint.
func (en *electionNetwork) checkRecord() []byte {
	t := en.t
	en.mu.Lock()
	size, acked := en.size, en.acked
	en.mu.Unlock()
	exp := en.sameExports(size)
	lines := bytes.SplitAfter(exp, []byte("\n"))
	if int64(len(lines)-1) != size {
		t.Fatalf("the operators hold %d records, %d were acknowledged", len(lines)-1, size)
	}
	for i, rec := range acked {
		got, err := bulletin.ParseRecord(bytes.TrimSuffix(lines[i], []byte("\n")))
		if err != nil || got.LeafHash() != rec.LeafHash() {
			t.Fatalf("acknowledged record %d is not on the board: %v", i, err)
		}
	}
	for op := range en.homes {
		n := en.node(op)
		if n == nil {
			continue
		}
		cp := n.Log.Checkpoint()
		if cp.Size != size {
			t.Fatalf("operator %d signed a checkpoint of %d records, want %d", op+1, cp.Size, size)
		}
		r := verifier.Verify(t.Context(), verifier.Export(bytes.NewReader(exp), fmt.Sprintf("op%d", op+1)), verifier.Options{
			BoardKey: en.vkeys[op], Checkpoints: [][]byte{cp.Note},
		})
		if !r.OK {
			var b strings.Builder
			r.WriteText(&b)
			t.Fatalf("the verifier fails operator %d's export:\n%s", op+1, b.String())
		}
	}
	return exp
}

// TestElection: four operators run a whole election, each submission
// posted to another operator in turn; every operator ends with the same
// log, byte for byte, which the verifier passes against each one's own
// checkpoint.
func TestElection(t *testing.T) {
	skipUnderRace(t)
	en := newElectionNetwork(t, nil)
	en.runElection(electionPlan{voters: 30, revotes: 2})
	exp := en.checkRecord()
	t.Logf("%d records, %d bytes, %d blocks", en.size, len(exp), en.node(0).Height())
}

// TestCrash: an operator stops during the ballots; the other three go on
// (three of four are a quorum); restarted on its home and store, it
// catches up with the blocks it missed, and takes posts again. No
// acknowledged record is lost, and the four logs are the same.
func TestCrash(t *testing.T) {
	en := newElectionNetwork(t, nil)
	const down = 1
	var stoppedAt int64
	en.runElection(electionPlan{voters: 24, revotes: 1, during: func(_ *simulate.Election, third int) {
		switch third {
		case 1:
			stoppedAt = en.node(down).Height()
			en.stop(down)
		case 2:
			en.start(down)
		}
	}})
	exp := en.checkRecord()
	if h := en.node(down).Height(); h <= stoppedAt {
		t.Fatalf("operator %d is at block %d, where it stopped", down+1, h)
	}
	// It restored the election state it saved when it stopped, and
	// replayed only the records after it.
	if !strings.Contains(en.logs.String(), fmt.Sprintf("op%d: bulletin: restored the state saved after", down+1)) {
		t.Errorf("operator %d did not restore its saved state:\n%s", down+1, en.logs.String())
	}
	t.Logf("%d records, %d bytes; operator %d stopped at block %d, now at %d", en.size, len(exp), down+1, stoppedAt, en.node(down).Height())
}

// TestByzantineProposer: one operator proposes, in every block, a
// transaction with a forged signature and, once voting is open, a ballot
// whose proof is broken, signed by a voter on the roll. The others refuse
// to vote for those blocks, so the invalid records never enter any log;
// the honest operators' proposals carry the election to its end.
func TestByzantineProposer(t *testing.T) {
	skipUnderRace(t)
	forged := bulletin.Sign(testKey("mallory"), "note", []byte(`{"forged":true}`))
	forged.Sig[0] ^= 1
	var bad atomic.Pointer[[][]byte]
	bad.Store(&[][]byte{txOf(t, forged)})
	const byzantine = 0
	en := newElectionNetwork(t, func(op int, c *Config) {
		if op == byzantine {
			c.propose = func(txs [][]byte) [][]byte { return append(txs, *bad.Load()...) }
		}
	})
	honestRejections := func() int64 {
		var n int64
		for op := range en.homes {
			if op != byzantine {
				n += en.node(op).App.Rejected()
			}
		}
		return n
	}
	// The roll's last voter casts nothing but the broken ballot.
	const voters = 12
	var badBallot *bulletin.Submission
	var rejectedBefore int64
	en.runElection(electionPlan{voters: voters, abstain: 1, during: func(e *simulate.Election, third int) {
		if third != 1 {
			return
		}
		st, err := en.state(t.Context())
		must(t, err)
		badBallot = brokenBallot(t, st, e.Voters[voters])
		checkAdmission(t, en.node(byzantine+1).App, txOf(t, forged), txOf(t, badBallot))
		rejectedBefore = honestRejections()
		bad.Store(&[][]byte{txOf(t, forged), txOf(t, badBallot)})
	}})
	exp := en.checkRecord()
	for _, s := range []*bulletin.Submission{forged, badBallot} {
		if bytes.Contains(exp, []byte(base64.StdEncoding.EncodeToString(s.Sig))) {
			t.Fatalf("an invalid submission of the byzantine proposer is on the board")
		}
	}
	if n := honestRejections(); n <= rejectedBefore {
		t.Fatalf("the honest operators rejected %d proposals, %d before the broken ballot", n, rejectedBefore)
	}
	t.Logf("%d records; the honest operators rejected %d proposals, %d with the broken ballot", en.size, honestRejections(), honestRejections()-rejectedBefore)
}

// checkAdmission: an honest operator's CheckTx refuses the forged
// transaction at once, admits the broken ballot, correctly signed, on the
// cheap checks, and then, once its proofs have failed in the background,
// refuses it on a recheck (evicting it from the mempool) and on a new
// CheckTx, with the rejection code bad-proof.
func checkAdmission(t *testing.T, app *App, forged, broken []byte) {
	t.Helper()
	ctx := t.Context()
	checkTx := func(typ abci.CheckTxType, tx []byte) *abci.ResponseCheckTx {
		res, err := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx, Type: typ})
		must(t, err)
		return res
	}
	if r := checkTx(abci.CheckTxType_New, forged); r.Code != CodeRefused || string(r.Data) != bulletin.CodeBadSignature {
		t.Fatalf("CheckTx(forged) = %d %q, want %d %q", r.Code, r.Data, CodeRefused, bulletin.CodeBadSignature)
	}
	if r := checkTx(abci.CheckTxType_New, broken); r.Code != CodeOK {
		t.Fatalf("CheckTx(a broken ballot) = %d %q %s, want it admitted on the cheap checks", r.Code, r.Data, r.Log)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := checkTx(abci.CheckTxType_Recheck, broken)
		if r.Code == CodeRefused && string(r.Data) == election.CodeBadProof {
			break
		}
		if r.Code != CodeOK || time.Now().After(deadline) {
			t.Fatalf("recheck of a broken ballot = %d %q %s, want %d %q", r.Code, r.Data, r.Log, CodeRefused, election.CodeBadProof)
		}
	}
	if r := checkTx(abci.CheckTxType_New, broken); r.Code != CodeRefused || string(r.Data) != election.CodeBadProof {
		t.Fatalf("CheckTx(a broken ballot) after its check = %d %q, want %d %q", r.Code, r.Data, CodeRefused, election.CodeBadProof)
	}
}

// brokenBallot returns voter's ballot with the proofs of its first two
// options swapped, signed by voter: well-formed and correctly signed, but
// its proofs fail.
func brokenBallot(t *testing.T, st *election.State, voter *ballot.Credential) *bulletin.Submission {
	t.Helper()
	el := st.Election()
	choices := ballot.NewChoices(st.Manifest())
	b, _, err := ballot.Encrypt(el, voter.Public, choices, ballot.ConfirmationCode{})
	must(t, err)
	opts := b.Contests[0].Options
	opts[0].Proof, opts[1].Proof = opts[1].Proof, opts[0].Proof
	sub, err := election.NewSubmission(election.KeySigner(voter.Private), election.TypeBallot, b)
	must(t, err)
	if err := election.VerifyBallots(el, []*ballot.EncryptedBallot{b}, []ed25519.PublicKey{voter.Public})[0]; err == nil {
		t.Fatal("the broken ballot's proofs verify")
	}
	return sub
}

func txOf(t *testing.T, s *bulletin.Submission) []byte {
	t.Helper()
	b, err := s.MarshalJSON()
	must(t, err)
	return b
}

// skipUnderRace skips a test of a whole election under the race detector,
// to keep CI within its time: scripts/test.sh runs it again without, and
// TestCrash, which starts, stops and restarts operators while they take
// posts, runs under both.
func skipUnderRace(t *testing.T) {
	if raceDetector {
		t.Skip("a whole election on four nodes is too slow under the race detector; TestCrash covers the replica's concurrency")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

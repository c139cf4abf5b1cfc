package voterclient_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/voterclient"
)

// fetched is what the page fetches from the board to check a receipt
// (docs/spec/voter-client.md §6).
type fetched struct {
	checkpoint  []byte             // GET /checkpoint
	consistency tlog.TreeProof     // GET /proof/consistency?old=<receipt size>&new=<N>
	record      []byte             // GET /records/<index>
	after       []*bulletin.Record // GET /records?start=<index+1>&end=<N>
	inclusion   tlog.RecordProof   // GET /proof/inclusion?index=<N-1>&size=<N>
}

// fetch gets from the board what the page fetches to check r.
func (b *board) fetch(t *testing.T, r *bulletin.Receipt) *fetched {
	t.Helper()
	ctx := context.Background()
	latest := b.log.Checkpoint()
	old, err := r.Verify(b.vkey)
	must(t, err)
	f := &fetched{checkpoint: latest.Note}
	f.consistency, err = b.log.ConsistencyProof(old.Size, latest.Size)
	must(t, err)
	raw, err := b.log.Records(ctx, r.Index, r.Index+1)
	must(t, err)
	f.record = raw[0]
	raw, err = b.log.Records(ctx, r.Index+1, latest.Size)
	must(t, err)
	for _, enc := range raw {
		rec, err := bulletin.ParseRecord(enc)
		must(t, err)
		f.after = append(f.after, rec)
	}
	f.inclusion, err = b.log.InclusionProof(latest.Size-1, latest.Size)
	must(t, err)
	return f
}

// check runs the page's receipt check of r on f against the election e:
// CheckReceipt, Add two records at a time, Finish.
func (f *fetched) check(t *testing.T, r *bulletin.Receipt, vkey string, e *ballot.Election) (*voterclient.ReceiptStatus, error) {
	t.Helper()
	c, err := voterclient.CheckReceipt(r.Marshal(), vkey, f.checkpoint, f.consistency, f.record, e)
	if err != nil {
		return nil, err
	}
	if st := c.Status(); st.Status != voterclient.StatusPending {
		return &st, nil
	}
	for recs := f.after; len(recs) > 0; {
		n := min(2, len(recs))
		if err := c.Add(recs[:n]); err != nil {
			return nil, err
		}
		if next := c.Status().Next; next != int64(recs[n-1].Index)+1 {
			t.Fatalf("after record %d, Next = %d", recs[n-1].Index, next)
		}
		recs = recs[n:]
	}
	return c.Finish(f.inclusion)
}

// wantStatus checks st against the board's own replay of rec's status.
func wantStatus(t *testing.T, b *board, rec *bulletin.Record, st *voterclient.ReceiptStatus, want voterclient.ReceiptStatus) {
	t.Helper()
	got := *st
	if !got.ReplacedAt.Equal(want.ReplacedAt) {
		t.Fatalf("receipt status = %+v, want replaced at %v", got, want.ReplacedAt)
	}
	got.ReplacedAt = want.ReplacedAt // equal, if perhaps with another location or monotonic reading
	if got != want {
		t.Fatalf("receipt status = %+v, want %+v", got, want)
	}
	bs, ok := b.tracker.State().BallotStatus(rec)
	if !ok || bs.Counted != (want.Status == voterclient.StatusCounted) || int64(bs.Current) != want.Current ||
		int64(bs.ReplacedBy) != want.ReplacedBy || !bs.ReplacedAt.Equal(want.ReplacedAt) {
		t.Fatalf("the board's replay says %+v (ok %v), the receipt check %+v", bs, ok, *st)
	}
}

// TestReceiptCounted checks that a ballot no later ballot of its
// credential follows counts, whatever else follows it.
func TestReceiptCounted(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	e := synced(t, b).Ballot
	rec, receipt, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	_, _, err = sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	_, err = sim.Challenge(ctx, 0, sim.RandomChoices()) // the same credential, but a challenge
	must(t, err)
	last, lastReceipt, err := sim.Cast(ctx, 2, sim.RandomChoices())
	must(t, err)
	n := b.log.Size()

	for _, tt := range []struct {
		name    string
		rec     *bulletin.Record
		receipt *bulletin.Receipt
		after   int
	}{
		{"records follow", rec, receipt, 3},
		{"none follow", last, lastReceipt, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := b.fetch(t, tt.receipt)
			if len(f.after) != tt.after {
				t.Fatalf("%d records after record %d, want %d", len(f.after), tt.rec.Index, tt.after)
			}
			st, err := f.check(t, tt.receipt, b.vkey, e)
			must(t, err)
			idx := int64(tt.rec.Index)
			wantStatus(t, b, tt.rec, st, voterclient.ReceiptStatus{Status: voterclient.StatusCounted, Index: idx,
				Size: idx + 1, Latest: n, Next: n, Type: election.TypeBallot, Current: idx})
		})
	}
}

// TestReceiptReplaced checks that a later valid ballot of the same
// credential, cast by whoever holds it, is reported: the first as the
// replacement, the last as the ballot that counts now.
func TestReceiptReplaced(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	e := synced(t, b).Ballot
	rec, receipt, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	_, _, err = sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	first, _, err := sim.Cast(ctx, 0, sim.RandomChoices()) // whoever holds voter 0's credential
	must(t, err)
	_, err = sim.Challenge(ctx, 0, sim.RandomChoices())
	must(t, err)
	_, _, err = sim.Cast(ctx, 2, sim.RandomChoices())
	must(t, err)
	idx := int64(rec.Index)
	want := voterclient.ReceiptStatus{Status: voterclient.StatusReplaced, Index: idx, Size: idx + 1,
		Type: election.TypeBallot, ReplacedBy: int64(first.Index), ReplacedAt: first.Time, Current: int64(first.Index)}

	want.Latest, want.Next = b.log.Size(), b.log.Size()
	st, err := b.fetch(t, receipt).check(t, receipt, b.vkey, e)
	must(t, err)
	wantStatus(t, b, rec, st, want)

	second, _, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	want.Latest, want.Next, want.Current = b.log.Size(), b.log.Size(), int64(second.Index)
	st, err = b.fetch(t, receipt).check(t, receipt, b.vkey, e)
	must(t, err)
	wantStatus(t, b, rec, st, want)
}

// TestReceiptInvalidLaterBallot checks that a later ballot of the same
// credential whose proofs do not verify, which a dishonest board took, is
// reported as the board's fault, not as a replacement.
func TestReceiptInvalidLaterBallot(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	e := synced(t, b).Ballot
	_, receipt, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	bl, _, err := sim.Encrypt(ctx, 0, sim.RandomChoices())
	must(t, err)
	o := bl.Contests[0].Options
	o[0].Proof, o[1].Proof = o[1].Proof, o[0].Proof
	if err := ballot.VerifyBallot(e, bl, sim.Voters[0].Public); !errors.Is(err, ballot.ErrBadProof) {
		t.Fatalf("VerifyBallot(swapped proofs) = %v, want ErrBadProof", err)
	}
	sub, err := election.NewSubmission(election.KeySigner(sim.Voters[0].Private), election.TypeBallot, bl)
	must(t, err)
	b.unchecked.Store(string(sub.Sig), true)
	bad, _, err := b.log.Append(ctx, sub)
	must(t, err)
	_, _, err = sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)

	st, err := b.fetch(t, receipt).check(t, receipt, b.vkey, e)
	p := wantProblem(t, "invalid later ballot", err, voterclient.CodeBadBoard)
	if st != nil || !strings.Contains(p.Message, fmt.Sprintf("Record %d on the board is a ballot signed with your credential", bad.Index)) || !errors.Is(err, ballot.ErrBadProof) {
		t.Fatalf("status %+v, problem %v: want the invalid record %d named", st, err, bad.Index)
	}
}

// TestReceiptScanTampering checks that the records after the receipt must
// continue the log up to the record the board's checkpoint signs.
func TestReceiptScanTampering(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	e := synced(t, b).Ballot
	_, receipt, err := sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	for v := 1; v < 4; v++ {
		_, _, err = sim.Cast(ctx, v, sim.RandomChoices())
		must(t, err)
	}
	_, err = sim.Challenge(ctx, 1, sim.RandomChoices())
	must(t, err)
	n := b.log.Size()
	i := receipt.Index
	// resign makes r a valid record of another author: its signature checks,
	// but its leaf hash is not the one the next record and the tree commit to.
	resign := func(r *bulletin.Record) {
		r.Author = sim.Voters[3].Public
		r.Sig = ed25519.Sign(sim.Voters[3].Private, bulletin.SigningMessage(r.Type, r.Payload))
	}
	broken := func(i int64) string { return fmt.Sprintf("record %d does not continue its log", i) }
	unproven := fmt.Sprintf("its proof does not show record %d, the last one it sent", n-1)
	for _, tt := range []struct {
		name   string
		mangle func(f *fetched)
		says   string // what the problem's message says
	}{
		{"record missing", func(f *fetched) { f.after = append(f.after[:1:1], f.after[2:]...) }, broken(i + 2)},
		{"records reordered", func(f *fetched) { f.after[1], f.after[2] = f.after[2], f.after[1] }, broken(i + 2)},
		{"record duplicated", func(f *fetched) { f.after = append(f.after[:2:2], f.after[1:]...) }, broken(i + 3)},
		{"signature altered", func(f *fetched) { f.after[1].Sig[0] ^= 1 }, broken(i + 2)},
		{"re-signed by another key", func(f *fetched) { resign(f.after[1]) }, broken(i + 3)}, // caught at the next record's link
		{"time moved back", func(f *fetched) { f.after[1].Time = f.after[0].Time.Add(-time.Second) }, broken(i + 2)},
		{"last records withheld", func(f *fetched) { f.after = f.after[:len(f.after)-2] }, fmt.Sprintf("stopped sending records at record %d", n-2)},
		{"last record re-signed", func(f *fetched) { resign(f.after[len(f.after)-1]) }, unproven}, // caught by the inclusion proof
		{"wrong inclusion proof", func(f *fetched) { f.inclusion[0][0] ^= 1 }, unproven},
		{"inclusion proof of another record", func(f *fetched) {
			var err error
			f.inclusion, err = b.log.InclusionProof(n-2, n)
			must(t, err)
		}, unproven},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := b.fetch(t, receipt)
			tt.mangle(f)
			st, err := f.check(t, receipt, b.vkey, e)
			p := wantProblem(t, tt.name, err, voterclient.CodeBadBoard)
			if st != nil || !strings.Contains(p.Message, tt.says) {
				t.Fatalf("status %+v, problem %q: want it to say %q", st, p.Message, tt.says)
			}
		})
	}
	// The board grew after the page fetched its checkpoint, and it sends a
	// record past it: a valid next record, but not one the checkpoint signs.
	t.Run("record past the checkpoint", func(t *testing.T) {
		f := b.fetch(t, receipt)
		more, _, err := sim.Cast(ctx, 3, sim.RandomChoices())
		must(t, err)
		raw, err := b.log.Records(ctx, int64(more.Index), int64(more.Index)+1)
		must(t, err)
		rec, err := bulletin.ParseRecord(raw[0])
		must(t, err)
		f.after = append(f.after, rec)
		_, err = f.check(t, receipt, b.vkey, e)
		p := wantProblem(t, "record past the checkpoint", err, voterclient.CodeBadBoard)
		if want := fmt.Sprintf("it sent record %d, but its checkpoint signs only %d records", more.Index, more.Index); !strings.Contains(p.Message, want) {
			t.Fatalf("problem %q, want it to say %q", p.Message, want)
		}
	})
	t.Run("no record follows, wrong inclusion proof", func(t *testing.T) {
		last, lastReceipt, err := sim.Cast(ctx, 2, sim.RandomChoices())
		must(t, err)
		f := b.fetch(t, lastReceipt)
		f.inclusion = append(f.inclusion, tlog.Hash{}) // the proof of a tree of another size
		_, err = f.check(t, lastReceipt, b.vkey, e)
		p := wantProblem(t, "no record follows, wrong inclusion proof", err, voterclient.CodeBadBoard)
		if !strings.Contains(p.Message, fmt.Sprintf("record %d", last.Index)) {
			t.Fatalf("problem %q does not name record %d", p.Message, last.Index)
		}
	})
	t.Run("a failed check stays failed", func(t *testing.T) {
		f := b.fetch(t, receipt)
		c, err := voterclient.CheckReceipt(receipt.Marshal(), b.vkey, f.checkpoint, f.consistency, f.record, e)
		must(t, err)
		f.after[0].Sig[0] ^= 1
		err = c.Add(f.after[:1])
		wantProblem(t, "bad signature", err, voterclient.CodeBadBoard)
		f.after[0].Sig[0] ^= 1
		if err2 := c.Add(f.after); err2 != err {
			t.Fatalf("Add after a failure = %v, want %v", err2, err)
		}
		if _, err2 := c.Finish(f.inclusion); err2 != err {
			t.Fatalf("Finish after a failure = %v, want %v", err2, err)
		}
	})
}

// TestReceiptNotBallot checks the receipt of a record that is not a cast
// ballot, and that the scan needs the election key.
func TestReceiptNotBallot(t *testing.T) {
	ctx := context.Background()
	b, sim := openElection(t, nil)
	e := synced(t, b).Ballot
	bl, secrets, err := sim.Encrypt(ctx, 0, sim.RandomChoices())
	must(t, err)
	sub, err := election.NewSubmission(election.KeySigner(sim.Voters[0].Private), election.TypeChallenge, ballot.Challenge(bl, secrets))
	must(t, err)
	rec, receipt, err := b.log.Append(ctx, sub)
	must(t, err)
	_, _, err = sim.Cast(ctx, 0, sim.RandomChoices())
	must(t, err)
	f := b.fetch(t, receipt)
	c, err := voterclient.CheckReceipt(receipt.Marshal(), b.vkey, f.checkpoint, f.consistency, f.record, e)
	must(t, err)
	n, idx := b.log.Size(), int64(rec.Index)
	want := voterclient.ReceiptStatus{Status: voterclient.StatusNotFound, Index: idx, Size: idx + 1, Latest: n, Next: n, Type: election.TypeChallenge}
	if st := c.Status(); st != want {
		t.Fatalf("status = %+v, want %+v", st, want)
	}
	wantProblem(t, "records for a finished check", c.Add(f.after), voterclient.CodeBadInput)
	_, err = c.Finish(f.inclusion)
	wantProblem(t, "finishing a finished check", err, voterclient.CodeBadInput)

	_, cast, err := sim.Cast(ctx, 1, sim.RandomChoices())
	must(t, err)
	f = b.fetch(t, cast)
	_, err = voterclient.CheckReceipt(cast.Marshal(), b.vkey, f.checkpoint, f.consistency, f.record, nil)
	wantProblem(t, "no election key", err, voterclient.CodeNotOpen)
}

// TestReceiptMessage checks what each status says to the voter.
func TestReceiptMessage(t *testing.T) {
	at := time.Date(2030, 5, 6, 9, 8, 7, 0, time.FixedZone("CEST", 2*3600))
	base := voterclient.ReceiptStatus{Index: 12, Size: 13, Latest: 40, Next: 40, Type: election.TypeBallot}
	with := func(f func(*voterclient.ReceiptStatus)) *voterclient.ReceiptStatus {
		st := base
		f(&st)
		return &st
	}
	for _, tt := range []struct {
		name string
		st   *voterclient.ReceiptStatus
		want []string // in order
	}{
		{"pending", with(func(s *voterclient.ReceiptStatus) { s.Status, s.Next = voterclient.StatusPending, 20 }),
			[]string{"Your receipt checks out.", "7 of the 27 records after it read."}},
		{"counted", with(func(s *voterclient.ReceiptStatus) { s.Status, s.Current = voterclient.StatusCounted, 12 }),
			[]string{"Your ballot counts. It is record 12 on the board, inside the tree of 13 records", "current tree of 40 records", "none of the 27 records after yours is a later ballot with your credential."}},
		{"counted, one after", with(func(s *voterclient.ReceiptStatus) { s.Status, s.Latest, s.Current = voterclient.StatusCounted, 14, 12 }),
			[]string{"Your ballot counts.", "the one record after yours is not a later ballot with your credential."}},
		{"counted, none after", with(func(s *voterclient.ReceiptStatus) { s.Status, s.Latest, s.Current = voterclient.StatusCounted, 13, 12 }),
			[]string{"Your ballot counts.", "no record follows yours yet."}},
		{"replaced", with(func(s *voterclient.ReceiptStatus) {
			s.Status, s.ReplacedBy, s.ReplacedAt, s.Current = voterclient.StatusReplaced, 30, at, 30
		}), []string{"Warning: a later ballot used your credential. Your ballot, record 12, no longer counts: record 30, cast at 2030-05-06 07:08:07 UTC, replaced it. If you did not vote again yourself"}},
		{"replaced twice", with(func(s *voterclient.ReceiptStatus) {
			s.Status, s.ReplacedBy, s.ReplacedAt, s.Current = voterclient.StatusReplaced, 30, at, 35
		}), []string{"record 30, cast at 2030-05-06 07:08:07 UTC, replaced it. Record 35, cast later still, counts now. If you did not vote again yourself"}},
		{"not found", with(func(s *voterclient.ReceiptStatus) {
			s.Status, s.Type = voterclient.StatusNotFound, election.TypeChallenge
		}),
			[]string{`record 12, is a “challenged-ballot” record, not a cast ballot, so it is not counted.`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := voterclient.ReceiptMessage(tt.st)
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("ReceiptMessage(%+v) = %q, want it to say %q", *tt.st, got, w)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(got, "cast later still") != (tt.name == "replaced twice") {
				t.Errorf("ReceiptMessage(%+v) = %q: a later current ballot is named only if it is not the replacement", *tt.st, got)
			}
		})
	}
}

package verifier_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/verifiertest"
)

// large is a record of 1000 ballots of one contest of 10 options, pick up
// to 3, with 5 trustees and t = 3: the shape of scripts/bench-verify.sh.
var large struct {
	once   sync.Once
	e      *verifiertest.Election
	export []byte
	err    error
}

func largeElection(tb testing.TB) (*verifiertest.Election, []byte) {
	tb.Helper()
	large.once.Do(func() {
		var buf bytes.Buffer
		large.e, large.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: 1000, Trustees: 5, Threshold: 3, Contests: verifiertest.KofN(10, 3), Parallel: true, Absent: []int{2},
		}, &buf)
		large.export = buf.Bytes()
	})
	if large.err != nil {
		tb.Fatalf("generating the election: %v", large.err)
	}
	return large.e, large.export
}

// BenchmarkVerify1000Ballots verifies a whole record of 1000 ballots and
// reports ballots verified per second.
func BenchmarkVerify1000Ballots(b *testing.B) {
	e, export := largeElection(b)
	b.SetBytes(int64(len(export)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(export), "bench"), verifier.Options{
			BoardKey: e.BoardKey, Checkpoints: [][]byte{e.Checkpoint}, MaxPayload: e.MaxPayload,
		})
		if !r.OK {
			b.Fatalf("verification failed: %v", r.Failures)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "ballots/s")
}

// TestVerifyBatches verifies a record of 1000 ballots in many small
// batches, with two forged ballots in one batch and a third in another,
// and checks that each is named.
func TestVerifyBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1000 ballots")
	}
	e, export := largeElection(t)
	w := newWorldOf(t, e, export)
	var want []int
	for _, n := range []int{100, 103, 517} {
		i := w.find(election.TypeBallot, n)
		edit(w, i, func(b *ballot.EncryptedBallot) {
			ct := b.Contests[0].Options[n%10].Ciphertext
			ct.A.Add(&ct.A, crypto.NewGeneratorElement())
		})
		want = append(want, i)
	}
	forged, cp := w.forge()
	r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(forged), "forged"), verifier.Options{
		BoardKey: e.BoardKey, Checkpoints: [][]byte{cp}, MaxPayload: e.MaxPayload, BatchSize: 16, ChunkSize: 300, Workers: 3,
	})
	for _, i := range want {
		fs := r.FailuresAt(int64(i))
		if len(fs) != 1 || fs[0].Step != verifier.StepBallots || fs[0].Code != "bad-proof" {
			t.Errorf("record %d: failures %v, want one bad-proof in step ballots", i, fs)
		}
	}
	// Besides the three ballots, the official's closing record no longer
	// names the history before it, which the forgery changed.
	if got := r.Step(verifier.StepBallots).Failures; got != 4 || !closeNamesAnotherHistory(r) {
		t.Errorf("step ballots: %d failures, want the 3 ballots and the closing record: %v", got, r.Failures)
	}
	if got := r.Step(verifier.StepBallots).Counts.Get("ballots"); got != 997 {
		t.Errorf("%d ballots admitted, want 997", got)
	}
}

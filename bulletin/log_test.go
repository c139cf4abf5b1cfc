package bulletin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/storetest"
)

// TestProofsAllSizes checks inclusion proofs for every record in every tree
// of size 1..N and consistency proofs for every pair of sizes, against
// checkpoints the log signed, and that mangled proofs fail.
func TestProofsAllSizes(t *testing.T) {
	const N = 40
	l := openTestLog(t, store.NewMemory(), bulletin.NewOpenPolicy)
	_, vkey := testNoteKey(t)
	roots := []tlog.Hash{l.Checkpoint().Hash}
	var leaves []tlog.Hash
	for i := 0; i < N; i++ {
		rec, receipt, err := l.Append(context.Background(), sub(i))
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, rec.LeafHash())
		size, root, err := bulletin.VerifyCheckpoint(vkey, l.Checkpoint().Note)
		if err != nil || size != int64(i+1) {
			t.Fatalf("VerifyCheckpoint = %d, %v, want size %d", size, err, i+1)
		}
		roots = append(roots, root)
		if _, err := receipt.Verify(vkey); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
	}
	for n := int64(1); n <= N; n++ {
		for i := int64(0); i < n; i++ {
			p, err := l.InclusionProof(i, n)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, n, err)
			}
			if err := bulletin.CheckInclusion(p, i, n, leaves[i], roots[n]); err != nil {
				t.Fatalf("CheckInclusion(%d, %d): %v", i, n, err)
			}
			if err := bulletin.CheckInclusion(p, i, n, leaves[(i+1)%n], roots[n]); n > 1 && err == nil {
				t.Fatalf("CheckInclusion(%d, %d) accepted the wrong leaf", i, n)
			}
			for k := range p {
				bad := append(tlog.RecordProof(nil), p...)
				bad[k][k%32] ^= 1
				if err := bulletin.CheckInclusion(bad, i, n, leaves[i], roots[n]); !errors.Is(err, bulletin.ErrInvalidProof) {
					t.Fatalf("CheckInclusion(%d, %d) with hash %d flipped = %v", i, n, k, err)
				}
			}
			if len(p) > 0 {
				if err := bulletin.CheckInclusion(p[:len(p)-1], i, n, leaves[i], roots[n]); err == nil {
					t.Fatalf("CheckInclusion(%d, %d) accepted a truncated proof", i, n)
				}
			}
			if err := bulletin.CheckInclusion(append(p, leaves[i]), i, n, leaves[i], roots[n]); err == nil {
				t.Fatalf("CheckInclusion(%d, %d) accepted an extended proof", i, n)
			}
		}
		for m := int64(1); m <= n; m++ {
			p, err := l.ConsistencyProof(m, n)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", m, n, err)
			}
			if err := bulletin.CheckConsistency(p, m, roots[m], n, roots[n]); err != nil {
				t.Fatalf("CheckConsistency(%d, %d): %v", m, n, err)
			}
			if m < n {
				if err := bulletin.CheckConsistency(p, m, roots[m-1], n, roots[n]); err == nil {
					t.Fatalf("CheckConsistency(%d, %d) accepted the wrong old root", m, n)
				}
			}
			for k := range p {
				bad := append(tlog.TreeProof(nil), p...)
				bad[k][0] ^= 0x80
				if err := bulletin.CheckConsistency(bad, m, roots[m], n, roots[n]); !errors.Is(err, bulletin.ErrInvalidProof) {
					t.Fatalf("CheckConsistency(%d, %d) with hash %d flipped = %v", m, n, k, err)
				}
			}
		}
	}
	if _, err := l.InclusionProof(3, N+1); err == nil {
		t.Fatalf("InclusionProof beyond the log succeeded")
	}
}

// Rejection codes of the test policies, which are theirs: the log passes
// any code through.
const (
	codeBadProof   = "bad-proof"
	codeWrongPhase = "wrong-phase"
)

// rejectPolicy rejects payloads containing "reject"; it counts admissions.
type rejectPolicy struct{ admitted int }

func (p *rejectPolicy) Verify(ctx context.Context, s *bulletin.Submission) error {
	if bytes.Contains(s.Payload, []byte("verify-reject")) {
		return bulletin.Reject(codeBadProof, "proof does not verify")
	}
	return nil
}

func (p *rejectPolicy) Admit(r *bulletin.Record) error {
	if bytes.Contains(r.Payload, []byte("admit-reject")) {
		return fmt.Errorf("policy: %w", bulletin.Reject(codeWrongPhase, "voting is closed"))
	}
	p.admitted++
	return nil
}

func TestRejectionLeavesLogUnchanged(t *testing.T) {
	ms := store.NewMemory()
	l := openTestLog(t, ms, func() bulletin.Policy { return &rejectPolicy{} })
	appendN(t, l, 0, 5)
	before := l.Checkpoint()
	bad := []*bulletin.Submission{
		bulletin.Sign(testKey("a"), "ballot", []byte(`"verify-reject"`)),
		bulletin.Sign(testKey("a"), "ballot", []byte(`"admit-reject"`)),
		bulletin.Sign(testKey("a"), "BALLOT", []byte(`1`)),
		bulletin.Sign(testKey("a"), "ballot", []byte(`{"a": 1}`)),
		func() *bulletin.Submission { s := sub(99); s.Sig[0] ^= 1; return s }(),
	}
	codes := []string{codeBadProof, codeWrongPhase, bulletin.CodeMalformed, bulletin.CodeMalformed, bulletin.CodeBadSignature}
	for i, s := range bad {
		_, _, err := l.Append(context.Background(), s)
		var re *bulletin.RejectError
		if !errors.As(err, &re) || re.Code != codes[i] {
			t.Errorf("Append(bad %d) = %v, want code %s", i, err, codes[i])
		}
	}
	after := l.Checkpoint()
	if after.Size != before.Size || after.Hash != before.Hash {
		t.Fatalf("rejections changed the log: size %d→%d root %v→%v", before.Size, after.Size, before.Hash, after.Hash)
	}
	if n, _ := ms.Size(context.Background()); n != 5 {
		t.Fatalf("store size = %d, want 5", n)
	}
	// The next good record continues the chain from record 4.
	rec, _, err := l.Append(context.Background(), sub(5))
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := l.Record(context.Background(), 4)
	if rec.Index != 5 || !bytes.Equal(rec.Prev, func() []byte { h := prev.LeafHash(); return h[:] }()) {
		t.Fatalf("record after rejections: index %d, prev mismatch", rec.Index)
	}
}

func TestDuplicateRejected(t *testing.T) {
	l := openTestLog(t, store.NewMemory(), bulletin.NewOpenPolicy)
	if _, _, err := l.Append(context.Background(), sub(1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Append(context.Background(), sub(1)); !isDuplicate(err) {
		t.Fatalf("second Append = %v, want duplicate", err)
	}
}

// countPolicy records the indexes it admitted, to compare with the store.
type countPolicy struct {
	mu   *sync.Mutex
	seen *[]uint64
	bulletin.OpenPolicy
}

func (p *countPolicy) Admit(r *bulletin.Record) error {
	if err := p.OpenPolicy.Admit(r); err != nil {
		return err
	}
	p.mu.Lock()
	*p.seen = append(*p.seen, r.Index)
	p.mu.Unlock()
	return nil
}

func TestStoreFaults(t *testing.T) {
	for _, saved := range []bool{false, true} {
		t.Run(fmt.Sprintf("saved=%v", saved), func(t *testing.T) {
			ctx := context.Background()
			fs := storetest.NewFaulty(store.NewMemory())
			var mu sync.Mutex
			var current *[]uint64
			newPolicy := func() bulletin.Policy {
				seen := new([]uint64)
				mu.Lock()
				current = seen
				mu.Unlock()
				return &countPolicy{mu: &mu, seen: seen}
			}
			l := openTestLog(t, fs, newPolicy)
			appendN(t, l, 0, 3)
			fs.FailNextAppend(saved)
			rec, _, err := l.Append(ctx, sub(3))
			if saved {
				// Stored despite the error: the log finds it and acknowledges.
				if err != nil || rec.Index != 3 {
					t.Fatalf("Append with saved fault = %v, %v; want record 3", rec, err)
				}
			} else if !errors.Is(err, storetest.ErrInjected) {
				t.Fatalf("Append with lost fault = %v, want ErrInjected", err)
			}
			want := int64(3)
			if saved {
				want = 4
			}
			if l.Size() != want {
				t.Fatalf("log size = %d, want %d", l.Size(), want)
			}
			// The policy was rebuilt from the store: it saw exactly the stored records.
			mu.Lock()
			got := append([]uint64(nil), *current...)
			mu.Unlock()
			if int64(len(got)) != want {
				t.Fatalf("policy state has %d records %v, store has %d", len(got), got, want)
			}
			// A resubmission of the lost record succeeds (policy forgot it);
			// of a saved record it is a duplicate.
			_, _, err = l.Append(ctx, sub(3))
			if saved != isDuplicate(err) {
				t.Fatalf("resubmission after fault = %v", err)
			}
			appendN(t, l, 10, 3)
			// The log stays consistent: the export verifies and matches the checkpoint.
			var buf bytes.Buffer
			if _, err := bulletin.Export(ctx, fs, &buf); err != nil {
				t.Fatal(err)
			}
			v, err := bulletin.VerifyExport(&buf, 0)
			if err != nil {
				t.Fatalf("VerifyExport after fault: %v", err)
			}
			if err := v.CheckCheckpoint(l.Checkpoint().Checkpoint); err != nil {
				t.Fatal(err)
			}
			// Reads failing during a write failure: the log reports the error,
			// and recovers once the store does.
			fs.FailNextAppend(false)
			fs.FailReads(true)
			if _, _, err := l.Append(ctx, sub(20)); err == nil {
				t.Fatalf("Append with failing store succeeded")
			}
			if _, _, err := l.Append(ctx, sub(21)); err == nil {
				t.Fatalf("Append with unreadable store succeeded")
			}
			fs.FailReads(false)
			size := l.Size()
			if _, _, err := l.Append(ctx, sub(22)); err != nil {
				t.Fatalf("Append after store recovered: %v", err)
			}
			if l.Size() != size+1 {
				t.Fatalf("size after recovery = %d, want %d", l.Size(), size+1)
			}
		})
	}
}

func TestConcurrentAppendsAndReopen(t *testing.T) {
	ctx := context.Background()
	ms := store.NewMemory()
	l := openTestLog(t, ms, bulletin.NewOpenPolicy)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, r, err := l.Append(ctx, sub(w*1000+i))
				if err != nil {
					errc <- err
					return
				}
				if r.Index < 0 {
					errc <- fmt.Errorf("bad receipt")
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if l.Size() != workers*each {
		t.Fatalf("size = %d, want %d", l.Size(), workers*each)
	}
	cp := l.Checkpoint()
	l.Close()
	if _, _, err := l.Append(ctx, sub(1_000_000)); !errors.Is(err, bulletin.ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	// Reopening replays the policy: duplicates are still rejected, and the
	// checkpoint is the same tree.
	l2 := openTestLog(t, ms, bulletin.NewOpenPolicy)
	if got := l2.Checkpoint(); got.Size != cp.Size || got.Hash != cp.Hash {
		t.Fatalf("reopened checkpoint = %d %v, want %d %v", got.Size, got.Hash, cp.Size, cp.Hash)
	}
	if _, _, err := l2.Append(ctx, sub(3)); !isDuplicate(err) {
		t.Fatalf("Append of old record after reopen = %v, want duplicate", err)
	}
}

func TestOpenRejectsCorruptStore(t *testing.T) {
	ctx := context.Background()
	ms, _ := storedLog(t, 3)
	// A policy that rejects what is stored cannot open the log.
	signer, _ := testNoteKey(t)
	_, err := bulletin.OpenLog(ctx, ms, func() bulletin.Policy { return rejectAll{} }, bulletin.LogOptions{Signer: signer})
	if err == nil {
		t.Fatalf("OpenLog with a policy rejecting stored records succeeded")
	}
}

type rejectAll struct{}

func (rejectAll) Verify(context.Context, *bulletin.Submission) error { return nil }
func (rejectAll) Admit(*bulletin.Record) error {
	return bulletin.Reject(codeWrongPhase, "no")
}

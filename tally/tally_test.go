package tally_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

const (
	nBallots  = 50
	positions = 6
	optionMax = 3
)

// fixture is one small election: 5 trustees, t = 3, 50 ballots of 6
// positions with values in [0, 3].
type fixture struct {
	e      *testElection
	acc    *tally.Accumulator
	sums   []*crypto.Ciphertext
	want   []uint64
	solver *crypto.DlogSolver
	all    []*tally.PartialDecryption // honest partials of trustees 1..5
}

var shared struct {
	once sync.Once
	f    *fixture
}

// newFixture returns the election shared by the tests, built on first use
// (encryption is slow under the race detector). Tests must not modify it:
// pick returns copies of the partial decryptions.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	shared.once.Do(func() { shared.f = buildFixture(t) })
	if shared.f == nil {
		t.Fatal("building the shared fixture failed")
	}
	return shared.f
}

func buildFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{e: newTestElection(t, 3, 5)}
	f.acc, f.want = f.e.testBallots(t, 1, nBallots, positions, optionMax)
	f.sums = f.acc.Sums()
	f.solver = crypto.NewDlogSolver(nBallots * optionMax)
	f.all = f.e.partials(t, f.sums, f.e.indices...)
	return f
}

// pick returns clones of the honest partials of the given trustees.
func (f *fixture) pick(trustees ...uint32) []*tally.PartialDecryption {
	var out []*tally.PartialDecryption
	for _, j := range trustees {
		out = append(out, clonePartial(f.all[j-1]))
	}
	return out
}

func (f *fixture) combine(t *testing.T, partials []*tally.PartialDecryption) *tally.Result {
	t.Helper()
	r, err := tally.Combine(f.e.ctx, f.e.t, f.sums, f.e.vks, partials, f.solver)
	if err != nil {
		t.Fatalf("Combine: %v", err)
	}
	if err := tally.VerifyResult(f.e.ctx, f.e.t, f.sums, f.e.vks, partials, r); err != nil {
		t.Fatalf("VerifyResult of Combine's result: %v", err)
	}
	return r
}

func (f *fixture) checkCounts(t *testing.T, r *tally.Result) {
	t.Helper()
	if !slices.Equal(r.Counts, f.want) {
		t.Errorf("Counts = %v, want %v", r.Counts, f.want)
	}
	sk, err := crypto.NewPrivateKey(f.e.secret)
	if err != nil {
		t.Fatal(err)
	}
	for k, c := range f.sums {
		xa := crypto.NewElement().Subtract(&c.B, sk.Decrypt(c))
		if r.Combined[k].Equal(xa) != 1 {
			t.Errorf("Combined[%d] is not x·A_%d", k, k)
		}
	}
}

func TestAccumulator(t *testing.T) {
	e := newTestElection(t, 3, 5)

	t.Run("empty", func(t *testing.T) {
		acc := tally.NewAccumulator(4)
		if acc.Len() != 4 {
			t.Fatalf("Len = %d, want 4", acc.Len())
		}
		for k, c := range acc.Sums() {
			if c.Equal(crypto.NewCiphertext()) != 1 {
				t.Errorf("sum %d of no ballots is not the identity ciphertext", k)
			}
		}
	})

	t.Run("sums", func(t *testing.T) {
		acc, want := e.testBallots(t, 7, 20, 5, 4)
		sk, err := crypto.NewPrivateKey(e.secret)
		if err != nil {
			t.Fatal(err)
		}
		solver := crypto.NewDlogSolver(80)
		for k, c := range acc.Sums() {
			v, err := solver.Solve(sk.Decrypt(c))
			if err != nil || v != want[k] {
				t.Errorf("sum %d decrypts to %d, %v, want %d", k, v, err, want[k])
			}
		}
	})

	t.Run("rejects and is unchanged", func(t *testing.T) {
		acc, _ := e.testBallots(t, 8, 3, 3, 1)
		before := acc.Sums()
		one, _ := e.pk.Encrypt(1)
		for name, op := range map[string]func([]*crypto.Ciphertext, uint64) error{"Add": acc.Add, "Subtract": acc.Subtract} {
			for _, bad := range [][]*crypto.Ciphertext{
				nil,
				{one, one},
				{one, one, one, one},
			} {
				if err := op(bad, 1); !errors.Is(err, tally.ErrLengthMismatch) {
					t.Errorf("%s(%d ciphertexts) = %v, want ErrLengthMismatch", name, len(bad), err)
				}
			}
			if err := op([]*crypto.Ciphertext{one, nil, one}, 1); err == nil {
				t.Errorf("%s with a nil ciphertext succeeded", name)
			}
			if err := op([]*crypto.Ciphertext{one, one, one}, 0); err == nil {
				t.Errorf("%s with weight 0 succeeded", name)
			}
		}
		for k, c := range acc.Sums() {
			if c.Equal(before[k]) != 1 {
				t.Errorf("sum %d changed by a rejected ballot", k)
			}
		}
	})

	t.Run("subtract", func(t *testing.T) {
		// Adding a ballot and then subtracting it, as a re-vote does with
		// the ballot it supersedes, leaves the sums of the others.
		acc, want := e.testBallots(t, 9, 4, 3, 2)
		before := acc.Sums()
		b := make([]*crypto.Ciphertext, 3)
		for k := range b {
			b[k], _ = e.pk.Encrypt(uint64(k + 1))
		}
		if err := acc.Add(b, 1); err != nil {
			t.Fatal(err)
		}
		if err := acc.Subtract(b, 1); err != nil {
			t.Fatal(err)
		}
		for k, c := range acc.Sums() {
			if c.Equal(before[k]) != 1 {
				t.Errorf("sum %d after Add and Subtract of a ballot is not the sum before", k)
			}
		}
		// Each position subtracts on its own: adding (1, 1, 1) and then
		// subtracting (the same 1, a 0, the same 1) adds 1 at position 1.
		sk, err := crypto.NewPrivateKey(e.secret)
		if err != nil {
			t.Fatal(err)
		}
		one, _ := e.pk.Encrypt(1)
		if err := acc.Add([]*crypto.Ciphertext{one, one, one}, 1); err != nil {
			t.Fatal(err)
		}
		zero, _ := e.pk.Encrypt(0)
		if err := acc.Subtract([]*crypto.Ciphertext{one, zero, one}, 1); err != nil {
			t.Fatal(err)
		}
		solver := crypto.NewDlogSolver(16)
		for k, c := range acc.Sums() {
			w := want[k]
			if k == 1 {
				w++
			}
			if v, err := solver.Solve(sk.Decrypt(c)); err != nil || v != w {
				t.Errorf("sum %d decrypts to %d, %v, want %d", k, v, err, w)
			}
		}
	})

	t.Run("weighted", func(t *testing.T) {
		// A ballot of weight w adds w times its values; a re-vote takes it
		// out with the same weight, leaving the sums before it.
		acc, want := e.testBallots(t, 7, 2, 3, 2)
		before := acc.Sums()
		sk, err := crypto.NewPrivateKey(e.secret)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]*crypto.Ciphertext, 3)
		for k := range b {
			b[k], _ = e.pk.Encrypt(uint64(k))
		}
		if err := acc.Add(b, 1000); err != nil {
			t.Fatal(err)
		}
		solver := crypto.NewDlogSolver(4000)
		for k, c := range acc.Sums() {
			if v, err := solver.Solve(sk.Decrypt(c)); err != nil || v != want[k]+1000*uint64(k) {
				t.Errorf("sum %d decrypts to %d, %v, want %d", k, v, err, want[k]+1000*uint64(k))
			}
		}
		if err := acc.Subtract(b, 999); err != nil {
			t.Fatal(err)
		}
		if v, _ := solver.Solve(sk.Decrypt(acc.Sums()[2])); v != want[2]+2 {
			t.Errorf("after subtracting with weight 999, sum 2 decrypts to %d, want %d", v, want[2]+2)
		}
		if err := acc.Subtract(b, 1); err != nil {
			t.Fatal(err)
		}
		for k, c := range acc.Sums() {
			if c.Equal(before[k]) != 1 {
				t.Errorf("sum %d after adding with weight 1000 and subtracting 999 + 1 is not the sum before", k)
			}
		}
	})

	t.Run("sums are copies", func(t *testing.T) {
		acc, _ := e.testBallots(t, 11, 2, 2, 1)
		s := acc.Sums()
		s[0].Add(s[0], s[1])
		if acc.Sums()[0].Equal(s[0]) == 1 {
			t.Error("changing the result of Sums changed the accumulator")
		}
	})

	t.Run("length 0 panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("NewAccumulator(0) did not panic")
			}
		}()
		tally.NewAccumulator(0)
	})
}

func TestShareContext(t *testing.T) {
	// Recompute the encoding of docs/spec/tally.md §3 by hand.
	ctx := []byte{0xde, 0xad}
	var want []byte
	want = append(want, "evote/v1/tally/decryption-share\x00"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 2, 0xde, 0xad)
	want = append(want, 0, 0, 1, 2) // trustee 258
	want = append(want, 0, 1, 0, 0) // position 65536
	got := tally.ShareContext(ctx, 258, 65536)
	if !bytes.Equal(got, want) {
		t.Errorf("ShareContext = %x, want %x", got, want)
	}
	// Distinct (trustee, position) pairs and contexts never collide.
	seen := map[string]bool{}
	for _, c := range [][]byte{nil, {0}, {0, 0}} {
		for j := uint32(0); j < 3; j++ {
			for k := 0; k < 3; k++ {
				s := string(tally.ShareContext(c, j, k))
				if seen[s] {
					t.Errorf("ShareContext(%x, %d, %d) collides", c, j, k)
				}
				seen[s] = true
			}
		}
	}
	if n := binary.BigEndian.Uint32(got[len(got)-4:]); n != 65536 {
		t.Errorf("position field = %d", n)
	}
}

func TestCombineSubset(t *testing.T) {
	f := newFixture(t)
	// Trustees 3 and 5 are absent.
	r := f.combine(t, f.pick(1, 2, 4))
	f.checkCounts(t, r)
	if !slices.Equal(r.Trustees, []uint32{1, 2, 4}) || len(r.Rejected) != 0 {
		t.Errorf("Trustees, Rejected = %v, %v, want [1 2 4], []", r.Trustees, r.Rejected)
	}
	// Order of the partials does not matter.
	r2 := f.combine(t, f.pick(4, 1, 2))
	if !slices.Equal(r2.Counts, r.Counts) || !slices.Equal(r2.Trustees, r.Trustees) {
		t.Errorf("reordered partials give %v by %v, want %v by %v", r2.Counts, r2.Trustees, r.Counts, r.Trustees)
	}
	// Every set of t trustees gives the same counts and combined elements.
	for _, set := range [][]uint32{{1, 2, 3}, {3, 4, 5}, {1, 3, 5}, {2, 4, 5}} {
		r := f.combine(t, f.pick(set...))
		f.checkCounts(t, r)
		if !slices.Equal(r.Trustees, set) {
			t.Errorf("Trustees = %v, want %v", r.Trustees, set)
		}
	}
	// With all five, the lowest three are used.
	r = f.combine(t, f.pick(5, 4, 3, 2, 1))
	f.checkCounts(t, r)
	if !slices.Equal(r.Trustees, []uint32{1, 2, 3}) {
		t.Errorf("Trustees = %v, want [1 2 3]", r.Trustees)
	}
}

func TestCombineInvalidShare(t *testing.T) {
	f := newFixture(t)
	partials := f.pick(1, 2, 3, 4, 5)
	// Trustee 2 replaces one share by a random element, keeping the proof.
	partials[1].Shares[3] = randomElement()

	err := tally.VerifyPartial(f.e.ctx, f.e.vks[2], f.sums, partials[1])
	var pe *tally.PartialError
	if !errors.As(err, &pe) || pe.Trustee != 2 || pe.Position != 3 || !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("VerifyPartial = %v, want trustee 2 position 3 invalid proof", err)
	}
	errs := tally.VerifyPartials(f.e.ctx, f.e.vks, f.sums, partials)
	for i, err := range errs {
		if i == 1 {
			if !errors.As(err, &pe) || pe.Trustee != 2 || pe.Position != 3 || !errors.Is(err, crypto.ErrInvalidProof) {
				t.Errorf("VerifyPartials[1] = %v, want trustee 2 position 3 invalid proof", err)
			}
		} else if err != nil {
			t.Errorf("VerifyPartials[%d] = %v, want nil", i, err)
		}
	}

	r := f.combine(t, partials)
	f.checkCounts(t, r)
	want := []tally.Rejection{{Trustee: 2, Reason: "invalid proof at position 3"}}
	if !slices.Equal(r.Rejected, want) {
		t.Errorf("Rejected = %v, want %v", r.Rejected, want)
	}
	if !slices.Equal(r.Trustees, []uint32{1, 3, 4}) {
		t.Errorf("Trustees = %v, want [1 3 4]", r.Trustees)
	}
}

func TestVerifyPartial(t *testing.T) {
	f := newFixture(t)
	other := newTestElection(t, 3, 5)
	tests := []struct {
		name    string
		mangle  func(p *tally.PartialDecryption) *tally.PartialDecryption
		vk      uint32 // key to verify against
		wantPos int    // failing position, -1 for a shape error
	}{
		{"proof moved to another position", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Proofs[4] = p.Proofs[1]
			return p
		}, 1, 4},
		{"proofs of two positions swapped", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Proofs[1], p.Proofs[4] = p.Proofs[4], p.Proofs[1]
			return p
		}, 1, 1},
		{"share and proof moved to another position", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares[5], p.Proofs[5] = p.Shares[2], p.Proofs[2]
			return p
		}, 1, 5},
		{"proof of another trustee", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Proofs[2] = f.all[2].Proofs[2]
			return p
		}, 1, 2},
		{"share and proof of another trustee", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares[0], p.Proofs[0] = f.all[2].Shares[0], f.all[2].Proofs[0]
			return p
		}, 1, 0},
		{"relabelled as another trustee", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Trustee = 3
			return p
		}, 3, 0},
		{"checked against another trustee's key", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			return p
		}, 2, 0},
		{"another context", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			q, err := tally.NewPartialDecryption([]byte("another election"), 1, f.e.shares[1], f.sums)
			if err != nil {
				t.Fatal(err)
			}
			return q
		}, 1, 0},
		{"other sums", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			acc, _ := f.e.testBallots(t, 99, 3, positions, 1)
			q, err := tally.NewPartialDecryption(f.e.ctx, 1, f.e.shares[1], acc.Sums())
			if err != nil {
				t.Fatal(err)
			}
			return q
		}, 1, 0},
		{"another share", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			q, err := tally.NewPartialDecryption(f.e.ctx, 1, other.shares[1], f.sums)
			if err != nil {
				t.Fatal(err)
			}
			return q
		}, 1, 0},
		{"last share is the identity", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares[positions-1] = crypto.NewElement()
			return p
		}, 1, positions - 1},
		{"too short", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares, p.Proofs = p.Shares[:positions-1], p.Proofs[:positions-1]
			return p
		}, 1, -1},
		{"too long", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares, p.Proofs = append(p.Shares, p.Shares[0]), append(p.Proofs, p.Proofs[0])
			return p
		}, 1, -1},
		{"a proof short", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Proofs = p.Proofs[:positions-1]
			return p
		}, 1, -1},
		{"nil share", func(p *tally.PartialDecryption) *tally.PartialDecryption {
			p.Shares[2] = nil
			return p
		}, 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.mangle(clonePartial(f.all[0]))
			check := func(what string, err error) {
				t.Helper()
				var pe *tally.PartialError
				if !errors.As(err, &pe) {
					t.Fatalf("%s = %v, want a *PartialError", what, err)
				}
				if pe.Position != tt.wantPos || pe.Trustee != p.Trustee {
					t.Errorf("%s = %v, want trustee %d position %d", what, err, p.Trustee, tt.wantPos)
				}
				if tt.wantPos >= 0 && !errors.Is(err, crypto.ErrInvalidProof) {
					t.Errorf("%s = %v, want ErrInvalidProof", what, err)
				}
				if tt.wantPos < 0 && !errors.Is(err, tally.ErrLengthMismatch) {
					t.Errorf("%s = %v, want ErrLengthMismatch", what, err)
				}
			}
			check("VerifyPartial", tally.VerifyPartial(f.e.ctx, f.e.vks[tt.vk], f.sums, p))
			vks := map[uint32]*crypto.Element{p.Trustee: f.e.vks[tt.vk]}
			errs := tally.VerifyPartials(f.e.ctx, vks, f.sums, []*tally.PartialDecryption{clonePartial(f.all[0]), p})
			if tt.vk == 1 && errs[0] != nil {
				t.Errorf("VerifyPartials[0] = %v for an honest partial", errs[0])
			}
			check("VerifyPartials", errs[1])
		})
	}

	t.Run("honest", func(t *testing.T) {
		for _, p := range f.all {
			if err := tally.VerifyPartial(f.e.ctx, f.e.vks[p.Trustee], f.sums, p); err != nil {
				t.Errorf("VerifyPartial(trustee %d) = %v", p.Trustee, err)
			}
		}
		for i, err := range tally.VerifyPartials(f.e.ctx, f.e.vks, f.sums, f.all) {
			if err != nil {
				t.Errorf("VerifyPartials[%d] = %v", i, err)
			}
		}
	})

	t.Run("context binds the position", func(t *testing.T) {
		// Positions 1 and 4 hold the same sum, so the statements are
		// equal and only the context tells the proofs apart.
		sums := slices.Clone(f.sums)
		sums[4] = sums[1]
		p, err := tally.NewPartialDecryption(f.e.ctx, 1, f.e.shares[1], sums)
		if err != nil {
			t.Fatal(err)
		}
		if err := tally.VerifyPartial(f.e.ctx, f.e.vks[1], sums, p); err != nil {
			t.Fatal(err)
		}
		p.Proofs[1], p.Proofs[4] = p.Proofs[4], p.Proofs[1]
		var pe *tally.PartialError
		if err := tally.VerifyPartial(f.e.ctx, f.e.vks[1], sums, p); !errors.As(err, &pe) || pe.Position != 1 {
			t.Errorf("VerifyPartial with swapped proofs of equal statements = %v, want position 1", err)
		}
		errs := tally.VerifyPartials(f.e.ctx, f.e.vks, sums, []*tally.PartialDecryption{p})
		if !errors.As(errs[0], &pe) || pe.Position != 1 {
			t.Errorf("VerifyPartials with swapped proofs of equal statements = %v, want position 1", errs[0])
		}
	})

	t.Run("context binds the trustee", func(t *testing.T) {
		// Trustee 3 is given trustee 1's key, so only the context tells
		// trustee 1's partial from a claim by trustee 3.
		vks := map[uint32]*crypto.Element{1: f.e.vks[1], 3: f.e.vks[1]}
		p := clonePartial(f.all[0])
		p.Trustee = 3
		var pe *tally.PartialError
		if err := tally.VerifyPartial(f.e.ctx, vks[3], f.sums, p); !errors.As(err, &pe) || pe.Position != 0 {
			t.Errorf("VerifyPartial of a relabelled partial = %v, want position 0", err)
		}
		errs := tally.VerifyPartials(f.e.ctx, vks, f.sums, []*tally.PartialDecryption{p})
		if !errors.As(errs[0], &pe) || pe.Position != 0 {
			t.Errorf("VerifyPartials of a relabelled partial = %v, want position 0", errs[0])
		}
	})

	t.Run("unknown trustee", func(t *testing.T) {
		errs := tally.VerifyPartials(f.e.ctx, map[uint32]*crypto.Element{2: f.e.vks[2]}, f.sums, f.pick(1, 2))
		if !errors.Is(errs[0], tally.ErrUnknownTrustee) || errs[1] != nil {
			t.Errorf("VerifyPartials = %v, want [ErrUnknownTrustee, nil]", errs)
		}
	})

	t.Run("many invalid", func(t *testing.T) {
		// Several invalid positions in several partials: each partial is
		// named with its first failing position.
		ps := f.pick(1, 2, 3, 4, 5)
		ps[0].Shares[5] = randomElement()
		ps[2].Shares[1] = randomElement()
		ps[2].Shares[4] = randomElement()
		ps[4].Shares[0] = randomElement()
		want := []int{5, -1, 1, -1, 0}
		for i, err := range tally.VerifyPartials(f.e.ctx, f.e.vks, f.sums, ps) {
			var pe *tally.PartialError
			switch {
			case want[i] < 0 && err != nil:
				t.Errorf("VerifyPartials[%d] = %v, want nil", i, err)
			case want[i] >= 0 && (!errors.As(err, &pe) || pe.Position != want[i]):
				t.Errorf("VerifyPartials[%d] = %v, want position %d", i, err, want[i])
			}
		}
	})
}

func TestNewPartialDecryptionErrors(t *testing.T) {
	f := newFixture(t)
	if _, err := tally.NewPartialDecryption(f.e.ctx, 0, f.e.shares[1], f.sums); err == nil {
		t.Error("trustee 0 accepted")
	}
	if _, err := tally.NewPartialDecryption(f.e.ctx, 1, f.e.shares[1], nil); err == nil {
		t.Error("no sums accepted")
	}
	if _, err := tally.NewPartialDecryption(f.e.ctx, 1, f.e.shares[1], []*crypto.Ciphertext{nil}); err == nil {
		t.Error("nil sum accepted")
	}
}

func TestCombineRejections(t *testing.T) {
	f := newFixture(t)
	bad := func(j uint32, k int) *tally.PartialDecryption {
		p := clonePartial(f.all[j-1])
		p.Shares[k] = randomElement()
		return p
	}
	unknown := clonePartial(f.all[0])
	unknown.Trustee = 9
	zero := clonePartial(f.all[0])
	zero.Trustee = 0
	short := clonePartial(f.all[3])
	short.Shares, short.Proofs = short.Shares[:2], short.Proofs[:2]

	tests := []struct {
		name     string
		partials []*tally.PartialDecryption
		trustees []uint32
		rejected []tally.Rejection
	}{
		{"unknown trustee", append(f.pick(1, 2), unknown, clonePartial(f.all[4]), zero),
			[]uint32{1, 2, 5}, []tally.Rejection{{9, "unknown trustee"}, {0, "unknown trustee"}}},
		{"wrong length", append(f.pick(1, 2, 3), short),
			[]uint32{1, 2, 3}, []tally.Rejection{{4, "wrong length"}}},
		{"duplicate", f.pick(1, 1, 3, 4),
			[]uint32{1, 3, 4}, []tally.Rejection{{1, "duplicate trustee"}}},
		{"invalid then valid from the same trustee", append([]*tally.PartialDecryption{bad(1, 2)}, f.pick(1, 5, 4)...),
			[]uint32{1, 4, 5}, []tally.Rejection{{1, "invalid proof at position 2"}}},
		{"valid then invalid from the same trustee", append(f.pick(1, 5), bad(1, 0), clonePartial(f.all[3])),
			[]uint32{1, 4, 5}, []tally.Rejection{{1, "invalid proof at position 0"}}},
		{"several", append(f.pick(3), bad(1, 5), short, unknown, clonePartial(f.all[1]), bad(5, 1), clonePartial(f.all[4]), clonePartial(f.all[1])),
			[]uint32{2, 3, 5}, []tally.Rejection{
				{1, "invalid proof at position 5"}, {4, "wrong length"}, {9, "unknown trustee"},
				{5, "invalid proof at position 1"}, {2, "duplicate trustee"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.combine(t, tt.partials)
			f.checkCounts(t, r)
			if !slices.Equal(r.Trustees, tt.trustees) {
				t.Errorf("Trustees = %v, want %v", r.Trustees, tt.trustees)
			}
			if !slices.Equal(r.Rejected, tt.rejected) {
				t.Errorf("Rejected = %v, want %v", r.Rejected, tt.rejected)
			}
		})
	}
}

func TestCombineInsufficient(t *testing.T) {
	f := newFixture(t)
	bad := clonePartial(f.all[2])
	bad.Shares[4] = randomElement()
	dup := clonePartial(f.all[0])
	tests := []struct {
		name     string
		partials []*tally.PartialDecryption
		valid    []uint32
		missing  []uint32
		rejected []tally.Rejection
	}{
		{"none", nil, nil, []uint32{1, 2, 3, 4, 5}, nil},
		{"two", f.pick(2, 1), []uint32{1, 2}, []uint32{3, 4, 5}, nil},
		{"two and an invalid one", append(f.pick(1, 2), bad), []uint32{1, 2}, []uint32{4, 5},
			[]tally.Rejection{{3, "invalid proof at position 4"}}},
		{"two and a duplicate", append(f.pick(1, 5), dup), []uint32{1, 5}, []uint32{2, 3, 4},
			[]tally.Rejection{{1, "duplicate trustee"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tally.Combine(f.e.ctx, f.e.t, f.sums, f.e.vks, tt.partials, f.solver)
			var ie *tally.InsufficientPartialsError
			if !errors.As(err, &ie) || !errors.Is(err, tally.ErrNotEnoughPartials) {
				t.Fatalf("Combine = %v, want *InsufficientPartialsError", err)
			}
			if ie.Threshold != 3 || !slices.Equal(ie.Valid, tt.valid) || !slices.Equal(ie.Missing, tt.missing) || !slices.Equal(ie.Rejected, tt.rejected) {
				t.Errorf("error = %+v, want valid %v missing %v rejected %v", ie, tt.valid, tt.missing, tt.rejected)
			}
			msg := err.Error()
			if want := fmt.Sprintf("missing trustees %v", tt.missing); !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
			if len(tt.rejected) > 0 && !strings.Contains(msg, tt.rejected[0].Reason) {
				t.Errorf("error %q does not give the rejection reason", msg)
			}
		})
	}
}

func TestCombineArguments(t *testing.T) {
	f := newFixture(t)
	ps := f.pick(1, 2, 3)
	withZero := map[uint32]*crypto.Element{0: f.e.vks[1], 2: f.e.vks[2], 3: f.e.vks[3]}
	withNil := map[uint32]*crypto.Element{1: nil, 2: f.e.vks[2], 3: f.e.vks[3]}
	tests := []struct {
		name     string
		t        int
		sums     []*crypto.Ciphertext
		vks      map[uint32]*crypto.Element
		partials []*tally.PartialDecryption
		solver   *crypto.DlogSolver
	}{
		{"t = 0", 0, f.sums, f.e.vks, ps, f.solver},
		{"t > n", 6, f.sums, f.e.vks, ps, f.solver},
		{"no sums", 3, nil, f.e.vks, ps, f.solver},
		{"nil sum", 3, []*crypto.Ciphertext{nil}, f.e.vks, ps, f.solver},
		{"key for trustee 0", 3, f.sums, withZero, ps, f.solver},
		{"nil key", 3, f.sums, withNil, ps, f.solver},
		{"nil partial", 3, f.sums, f.e.vks, append(ps, nil), f.solver},
		{"nil solver", 3, f.sums, f.e.vks, ps, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := tally.Combine(f.e.ctx, tt.t, tt.sums, tt.vks, tt.partials, tt.solver); err == nil {
				t.Errorf("Combine = %v, want error", r.Counts)
			}
		})
	}
	t.Run("count out of range", func(t *testing.T) {
		small := crypto.NewDlogSolver(5)
		_, err := tally.Combine(f.e.ctx, 3, f.sums, f.e.vks, ps, small)
		if !errors.Is(err, crypto.ErrDlogOutOfRange) || !strings.Contains(err.Error(), "position 0") {
			t.Errorf("Combine with max 5 = %v, want ErrDlogOutOfRange at position 0", err)
		}
	})
	t.Run("wrong context", func(t *testing.T) {
		_, err := tally.Combine([]byte("other"), 3, f.sums, f.e.vks, ps, f.solver)
		if !errors.Is(err, tally.ErrNotEnoughPartials) {
			t.Errorf("Combine with the wrong context = %v, want ErrNotEnoughPartials", err)
		}
	})
}

func TestZeroBallots(t *testing.T) {
	e := newTestElection(t, 2, 3)
	sums := tally.NewAccumulator(3).Sums()
	partials := e.partials(t, sums, 1, 3)
	r, err := tally.Combine(e.ctx, 2, sums, e.vks, partials, crypto.NewDlogSolver(10))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Counts, []uint64{0, 0, 0}) {
		t.Errorf("Counts = %v, want [0 0 0]", r.Counts)
	}
	if err := tally.VerifyResult(e.ctx, 2, sums, e.vks, partials, r); err != nil {
		t.Errorf("VerifyResult = %v", err)
	}
}

func TestThresholdOne(t *testing.T) {
	e := newTestElection(t, 1, 2)
	acc, want := e.testBallots(t, 3, 10, 2, 1)
	sums := acc.Sums()
	partials := e.partials(t, sums, 2)
	r, err := tally.Combine(e.ctx, 1, sums, e.vks, partials, crypto.NewDlogSolver(10))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Counts, want) || !slices.Equal(r.Trustees, []uint32{2}) {
		t.Errorf("Counts, Trustees = %v, %v, want %v, [2]", r.Counts, r.Trustees, want)
	}
}

func TestVerifyResult(t *testing.T) {
	f := newFixture(t)
	bad2 := f.pick(1, 2, 3, 4, 5)
	bad2[1].Shares[3] = randomElement()
	partials := bad2
	good := f.combine(t, partials)

	swapped := f.pick(1, 2, 3, 4, 5)
	swapped[0].Shares, swapped[3].Shares = swapped[3].Shares, swapped[0].Shares
	relabelled := f.pick(1, 2, 3, 4, 5)
	relabelled[0].Trustee, relabelled[4].Trustee = 5, 1
	otherAcc, _ := f.e.testBallots(t, 2, nBallots, positions, optionMax)
	otherSums := otherAcc.Sums()
	fixed := f.pick(1, 2, 3, 4, 5)

	tests := []struct {
		name     string
		mangle   func(r *tally.Result)
		partials []*tally.PartialDecryption
		sums     []*crypto.Ciphertext
	}{
		{"count changed", func(r *tally.Result) { r.Counts[2]++ }, nil, nil},
		{"count of last position changed", func(r *tally.Result) { r.Counts[positions-1]-- }, nil, nil},
		{"count removed", func(r *tally.Result) { r.Counts = r.Counts[:positions-1] }, nil, nil},
		{"combined element changed", func(r *tally.Result) {
			r.Combined[4].Add(r.Combined[4], crypto.NewGeneratorElement())
		}, nil, nil},
		{"combined element and count changed together", func(r *tally.Result) {
			r.Combined[4].Subtract(r.Combined[4], crypto.NewGeneratorElement())
			r.Counts[4]++
		}, nil, nil},
		{"trustees changed", func(r *tally.Result) { r.Trustees = []uint32{3, 4, 5} }, nil, nil},
		{"rejection dropped", func(r *tally.Result) { r.Rejected = nil }, nil, nil},
		{"rejection reason changed", func(r *tally.Result) { r.Rejected[0].Reason = "invalid proof at position 2" }, nil, nil},
		{"shares of two partials swapped", nil, swapped, nil},
		{"two partials relabelled", nil, relabelled, nil},
		{"trustee 2's partial replaced by a valid one", nil, fixed, nil},
		{"a partial dropped", nil, slices.Delete(f.pick(1, 2, 3, 4, 5), 0, 1), nil},
		{"other sums", nil, nil, otherSums},
		{"no partials", nil, []*tally.PartialDecryption{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cloneResult(good)
			if tt.mangle != nil {
				tt.mangle(r)
			}
			ps, sums := partials, f.sums
			if tt.partials != nil {
				ps = tt.partials
			}
			if tt.sums != nil {
				sums = tt.sums
			}
			err := tally.VerifyResult(f.e.ctx, f.e.t, sums, f.e.vks, ps, r)
			if !errors.Is(err, tally.ErrResultMismatch) {
				t.Errorf("VerifyResult = %v, want ErrResultMismatch", err)
			}
		})
	}
	if err := tally.VerifyResult(f.e.ctx, f.e.t, f.sums, f.e.vks, partials, good); err != nil {
		t.Errorf("VerifyResult(unchanged) = %v", err)
	}
	if err := tally.VerifyResult(f.e.ctx, 4, f.sums, f.e.vks, partials, good); !errors.Is(err, tally.ErrResultMismatch) {
		t.Errorf("VerifyResult with t = 4 = %v, want ErrResultMismatch", err)
	}
}

package crypto

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// subsets returns every k-element subset of {1..n}.
func subsets(n, k int) [][]uint32 {
	var out [][]uint32
	var rec func(start int, cur []uint32)
	rec = func(start int, cur []uint32) {
		if len(cur) == k {
			out = append(out, append([]uint32(nil), cur...))
			return
		}
		for i := start; i <= n; i++ {
			rec(i+1, append(cur, uint32(i)))
		}
	}
	rec(1, nil)
	return out
}

func reconstruct(t *testing.T, shares map[uint32]*Scalar, set []uint32) *Scalar {
	t.Helper()
	sum := NewScalar()
	for _, i := range set {
		l, err := LagrangeCoefficient(i, set)
		if err != nil {
			t.Fatal(err)
		}
		sum.MultiplyAdd(l, shares[i], sum)
	}
	return sum
}

func TestPolynomialShares(t *testing.T) {
	for _, tc := range []struct{ n, t int }{{1, 1}, {3, 1}, {3, 2}, {5, 3}, {5, 5}, {7, 4}} {
		t.Run(fmt.Sprintf("%d-of-%d", tc.t, tc.n), func(t *testing.T) {
			p := NewRandomPolynomial(tc.t)
			cs := p.Commitments()
			if len(cs) != tc.t || cs[0].Equal(NewElement().ScalarBaseMult(p.Secret())) != 1 {
				t.Fatal("commitments do not match the secret")
			}
			shares := map[uint32]*Scalar{}
			for i := 1; i <= tc.n; i++ {
				shares[uint32(i)] = p.Share(uint32(i))
				if err := VerifyShare(cs, uint32(i), shares[uint32(i)]); err != nil {
					t.Errorf("VerifyShare(%d) = %v", i, err)
				}
				if CommitmentEval(cs, uint32(i)).Equal(NewElement().ScalarBaseMult(shares[uint32(i)])) != 1 {
					t.Errorf("CommitmentEval(%d) ≠ f(%d)·G", i, i)
				}
			}
			// Every t-subset reconstructs the secret.
			for _, set := range subsets(tc.n, tc.t) {
				if reconstruct(t, shares, set).Equal(p.Secret()) != 1 {
					t.Errorf("shares %v do not reconstruct the secret", set)
				}
			}
			// No (t−1)-subset does (with overwhelming probability).
			if tc.t > 1 {
				for _, set := range subsets(tc.n, tc.t-1) {
					if reconstruct(t, shares, set).Equal(p.Secret()) == 1 {
						t.Errorf("t−1 shares %v reconstruct the secret", set)
					}
				}
			}
		})
	}
}

// TestPolynomialHorner checks Share against the direct sum Σ a_k·i^k.
func TestPolynomialHorner(t *testing.T) {
	p := NewRandomPolynomial(6)
	for _, i := range []uint32{1, 2, 17, 1<<32 - 1} {
		want := NewScalar()
		x := NewScalar().SetUint64(uint64(i))
		pow := NewScalar().SetUint64(1)
		for k := range p.coeffs {
			want.MultiplyAdd(&p.coeffs[k], pow, want)
			pow.Multiply(pow, x)
		}
		if p.Share(i).Equal(want) != 1 {
			t.Errorf("Share(%d) ≠ Σ a_k·i^k", i)
		}
	}
	if CommitmentEval(p.Commitments(), 0).Equal(NewElement().ScalarBaseMult(p.Secret())) != 1 {
		t.Error("CommitmentEval(0) ≠ f(0)·G")
	}
}

func TestPolynomialPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("NewRandomPolynomial(0)", func() { NewRandomPolynomial(0) })
	mustPanic("NewRandomPolynomial(-1)", func() { NewRandomPolynomial(-1) })
	mustPanic("Share(0)", func() { NewRandomPolynomial(2).Share(0) })
}

func TestVerifyShareRejects(t *testing.T) {
	p := NewRandomPolynomial(3)
	cs := p.Commitments()
	s := p.Share(2)
	one := NewScalar().SetUint64(1)
	for _, tc := range []struct {
		name  string
		cs    []*Element
		i     uint32
		share *Scalar
	}{
		{"share+1", cs, 2, NewScalar().Add(s, one)},
		{"other participant's share", cs, 2, p.Share(3)},
		{"wrong index", cs, 3, s},
		{"index 0", cs, 0, p.Secret()},
		{"commitment dropped", cs[:2], 2, s},
		{"commitment tampered", []*Element{cs[0], NewElement().Add(cs[1], NewGeneratorElement()), cs[2]}, 2, s},
		{"no commitments", nil, 2, s},
		{"nil commitment", []*Element{cs[0], nil, cs[2]}, 2, s},
	} {
		if err := VerifyShare(tc.cs, tc.i, tc.share); !errors.Is(err, ErrInvalidShare) {
			t.Errorf("VerifyShare(%s) = %v, want ErrInvalidShare", tc.name, err)
		}
	}
}

func TestLagrangeCoefficient(t *testing.T) {
	// Known values: set {1, 2, 3}: λ_1 = 3, λ_2 = −3, λ_3 = 1.
	for i, want := range map[uint32]int64{1: 3, 2: -3, 3: 1} {
		l, err := LagrangeCoefficient(i, []uint32{3, 1, 2})
		if err != nil || l.Equal(NewScalar().SetInt64(want)) != 1 {
			t.Errorf("LagrangeCoefficient(%d, {1,2,3}) = %x, %v, want %d", i, l.Bytes(), err, want)
		}
	}
	// A singleton set has λ = 1.
	if l, err := LagrangeCoefficient(7, []uint32{7}); err != nil || l.Equal(NewScalar().SetUint64(1)) != 1 {
		t.Errorf("LagrangeCoefficient(7, {7}) = %v, %v", l, err)
	}
	// Σ λ_i = 1 (interpolating the constant 1).
	set := []uint32{2, 5, 9, 1<<32 - 1}
	sum := NewScalar()
	for _, i := range set {
		l, err := LagrangeCoefficient(i, set)
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(sum, l)
	}
	if sum.Equal(NewScalar().SetUint64(1)) != 1 {
		t.Error("Σ λ_i ≠ 1")
	}
	for _, tc := range []struct {
		i    uint32
		set  []uint32
		want string
	}{
		{1, []uint32{1, 2, 2}, "duplicate"},
		{1, []uint32{0, 1, 2}, "index 0"},
		{0, []uint32{0, 1}, "index 0"},
		{3, []uint32{1, 2}, "not in the set"},
		{1, nil, "empty"},
	} {
		if _, err := LagrangeCoefficient(tc.i, tc.set); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LagrangeCoefficient(%d, %v) error = %v, want %q", tc.i, tc.set, err, tc.want)
		}
	}
}

// TestThresholdDecryption runs a whole (t, n) key ceremony and decryption:
// n dealers' polynomials, the joint key from the constant commitments, the
// verification keys from the commitments alone, and partial decryptions
// combined from every t-subset.
func TestThresholdDecryption(t *testing.T) {
	const n, th = 5, 3
	dealers := make([]*Polynomial, n)
	commitments := make([][]*Element, n)
	for d := range dealers {
		dealers[d] = NewRandomPolynomial(th)
		commitments[d] = dealers[d].Commitments()
	}
	// Joint key K = Σ_d C_{d,0}; the joint secret x = Σ_d a_{d,0} is never
	// assembled outside this test.
	K := NewElement()
	x := NewScalar()
	for d := range dealers {
		K.Add(K, commitments[d][0])
		x.Add(x, dealers[d].Secret())
	}
	pk, err := PublicKeyFromElement(K)
	if err != nil {
		t.Fatal(err)
	}
	// Participant i's share s_i = Σ_d f_d(i), each piece checked; its
	// verification key s_i·G = Σ_d CommitmentEval(C_d, i) is public.
	shares := map[uint32]*Scalar{}
	for i := uint32(1); i <= n; i++ {
		s := NewScalar()
		vk := NewElement()
		for d := range dealers {
			piece := dealers[d].Share(i)
			if err := VerifyShare(commitments[d], i, piece); err != nil {
				t.Fatal(err)
			}
			s.Add(s, piece)
			vk.Add(vk, CommitmentEval(commitments[d], i))
		}
		if vk.Equal(NewElement().ScalarBaseMult(s)) != 1 {
			t.Fatalf("verification key of %d ≠ s_%d·G", i, i)
		}
		shares[i] = s
	}

	const vote = 42
	ct, _ := pk.Encrypt(vote)
	xA := NewElement().ScalarMult(x, &ct.A)
	solver := NewDlogSolver(100)
	partial := func(i uint32) *Element { return NewElement().ScalarMult(shares[i], &ct.A) }
	for _, set := range subsets(n, th) {
		parts := make([]*Element, len(set))
		for k, i := range set {
			parts[k] = partial(i)
		}
		got, err := CombinePartials(set, parts)
		if err != nil {
			t.Fatal(err)
		}
		if got.Equal(xA) != 1 {
			t.Errorf("CombinePartials(%v) ≠ x·A", set)
		}
		v, err := solver.Solve(NewElement().Subtract(&ct.B, got))
		if err != nil || v != vote {
			t.Errorf("decryption with %v = %d, %v, want %d", set, v, err, vote)
		}
		// One wrong partial (here s_i·A + G) makes the result wrong: the
		// caller must check each partial's DLEQ proof before combining.
		bad := append([]*Element(nil), parts...)
		bad[1] = NewElement().Add(bad[1], NewGeneratorElement())
		got, err = CombinePartials(set, bad)
		if err != nil {
			t.Fatal(err)
		}
		if got.Equal(xA) == 1 {
			t.Errorf("CombinePartials(%v) with a wrong partial = x·A", set)
		}
		if v, err := solver.Solve(NewElement().Subtract(&ct.B, got)); err == nil && v == vote {
			t.Errorf("decryption with a wrong partial in %v still gave %d", set, v)
		}
	}
	// t−1 partials give a wrong x·A.
	for _, set := range subsets(n, th-1) {
		parts := make([]*Element, len(set))
		for k, i := range set {
			parts[k] = partial(i)
		}
		got, err := CombinePartials(set, parts)
		if err != nil {
			t.Fatal(err)
		}
		if got.Equal(xA) == 1 {
			t.Errorf("CombinePartials(%v) with t−1 partials = x·A", set)
		}
	}
}

func TestCombinePartialsErrors(t *testing.T) {
	g := NewGeneratorElement()
	for _, tc := range []struct {
		name     string
		indices  []uint32
		partials []*Element
	}{
		{"length mismatch", []uint32{1, 2}, []*Element{g}},
		{"empty", nil, nil},
		{"duplicate", []uint32{1, 1}, []*Element{g, g}},
		{"zero index", []uint32{0, 1}, []*Element{g, g}},
		{"nil partial", []uint32{1, 2}, []*Element{g, nil}},
	} {
		if _, err := CombinePartials(tc.indices, tc.partials); err == nil {
			t.Errorf("CombinePartials(%s) succeeded", tc.name)
		}
	}
}

func TestVerifyCoefficients(t *testing.T) {
	ctx := []byte("evote test: election base hash || trustee 1")
	p := NewRandomPolynomial(4)
	cs := p.Commitments()
	proofs := p.ProveCoefficients(ctx)
	if len(proofs) != 4 {
		t.Fatalf("ProveCoefficients returned %d proofs, want 4", len(proofs))
	}
	if err := VerifyCoefficients(ctx, cs, proofs); err != nil {
		t.Fatalf("VerifyCoefficients = %v", err)
	}
	swapped := []*SchnorrProof{proofs[1], proofs[0], proofs[2], proofs[3]}
	swappedCs := []*Element{cs[1], cs[0], cs[2], cs[3]}
	other := NewRandomPolynomial(4)
	tampered := append([]*Element(nil), cs...)
	tampered[2] = NewElement().Add(cs[2], NewGeneratorElement())
	for _, tc := range []struct {
		name   string
		ctx    []byte
		cs     []*Element
		proofs []*SchnorrProof
	}{
		{"other ctx", []byte("evote test: election base hash || trustee 2"), cs, proofs},
		{"ctx prefix", ctx[:len(ctx)-1], cs, proofs},
		// Swapping two (commitment, proof) pairs breaks the position binding.
		{"positions swapped", ctx, swappedCs, swapped},
		{"proofs swapped", ctx, cs, swapped},
		{"other dealer's proofs", ctx, cs, other.ProveCoefficients(ctx)},
		{"commitment tampered", ctx, tampered, proofs},
		{"proof missing", ctx, cs, proofs[:3]},
		{"commitment missing", ctx, cs[:3], proofs},
		{"empty", ctx, nil, nil},
		{"nil proof", ctx, cs, []*SchnorrProof{proofs[0], nil, proofs[2], proofs[3]}},
		{"identity commitment", ctx, []*Element{cs[0], cs[1], cs[2], NewElement()}, proofs},
	} {
		if err := VerifyCoefficients(tc.ctx, tc.cs, tc.proofs); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("VerifyCoefficients(%s) = %v, want ErrInvalidProof", tc.name, err)
		}
	}
	// A proof for coefficient k verifies as a plain Schnorr proof under
	// ctx || u32be(k), as documented in the spec.
	if err := VerifySchnorr(append(append([]byte(nil), ctx...), 0, 0, 0, 2), cs[2], proofs[2]); err != nil {
		t.Errorf("proof 2 under ctx || u32be(2): %v", err)
	}
	if err := VerifySchnorr(ctx, cs[0], proofs[0]); err == nil {
		t.Error("proof 0 verifies under the bare ctx")
	}
}

func BenchmarkThreshold(b *testing.B) {
	for _, tc := range []struct{ n, t int }{{5, 3}, {15, 8}} {
		p := NewRandomPolynomial(tc.t)
		cs := p.Commitments()
		b.Run(fmt.Sprintf("VerifyShare/%d-of-%d", tc.t, tc.n), func(b *testing.B) {
			s := p.Share(3)
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyShare(cs, 3, s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("CombinePartials/%d-of-%d", tc.t, tc.n), func(b *testing.B) {
			idx := make([]uint32, tc.t)
			parts := make([]*Element, tc.t)
			for k := range idx {
				idx[k] = uint32(k + 1)
				parts[k] = NewElement().ScalarBaseMult(RandomScalar())
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CombinePartials(idx, parts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

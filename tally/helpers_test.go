package tally_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

// testElection is a threshold key built as in the key ceremony: every
// trustee deals a random polynomial of degree t−1, trustee j's share is the
// sum of the polynomials at j, and the joint key is the sum of the constant
// terms' commitments.
type testElection struct {
	ctx     []byte
	t, n    int
	shares  map[uint32]*crypto.Scalar
	vks     map[uint32]*crypto.Element
	pk      *crypto.PublicKey
	secret  *crypto.Scalar // joint secret x, for cross-checks only
	indices []uint32       // 1..n
}

func newTestElection(tb testing.TB, t, n int) *testElection {
	tb.Helper()
	e := &testElection{
		ctx:    []byte("test election base hash"),
		t:      t,
		n:      n,
		shares: make(map[uint32]*crypto.Scalar),
		vks:    make(map[uint32]*crypto.Element),
		secret: crypto.NewScalar(),
	}
	polys := make([]*crypto.Polynomial, n)
	joint := crypto.NewElement()
	for i := range polys {
		polys[i] = crypto.NewRandomPolynomial(t)
		joint.Add(joint, polys[i].Commitments()[0])
		e.secret.Add(e.secret, polys[i].Secret())
	}
	for j := uint32(1); j <= uint32(n); j++ {
		e.indices = append(e.indices, j)
		s := crypto.NewScalar()
		vk := crypto.NewElement()
		for _, p := range polys {
			s.Add(s, p.Share(j))
			vk.Add(vk, crypto.CommitmentEval(p.Commitments(), j))
		}
		if crypto.NewElement().ScalarBaseMult(s).Equal(vk) != 1 {
			tb.Fatalf("trustee %d: share does not match the verification key from the commitments", j)
		}
		e.shares[j], e.vks[j] = s, vk
	}
	if crypto.NewElement().ScalarBaseMult(e.secret).Equal(joint) != 1 {
		tb.Fatal("joint secret does not match the joint key")
	}
	pk, err := crypto.PublicKeyFromElement(joint)
	if err != nil {
		tb.Fatal(err)
	}
	e.pk = pk
	return e
}

// testBallots encrypts nBallots random ballots of length l with values in
// [0, max] and returns the accumulator and the plaintext sums.
func (e *testElection) testBallots(tb testing.TB, seed uint64, nBallots, l int, max uint64) (*tally.Accumulator, []uint64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 0))
	acc := tally.NewAccumulator(l)
	want := make([]uint64, l)
	for range nBallots {
		b := make([]*crypto.Ciphertext, l)
		for k := range b {
			v := rng.Uint64N(max + 1)
			want[k] += v
			b[k], _ = e.pk.Encrypt(v)
		}
		if err := acc.Add(b, 1); err != nil {
			tb.Fatal(err)
		}
	}
	return acc, want
}

// partials returns the honest partial decryptions of the given trustees.
func (e *testElection) partials(tb testing.TB, sums []*crypto.Ciphertext, trustees ...uint32) []*tally.PartialDecryption {
	tb.Helper()
	var out []*tally.PartialDecryption
	for _, j := range trustees {
		p, err := tally.NewPartialDecryption(e.ctx, j, e.shares[j], sums)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// clonePartial returns a deep copy of p.
func clonePartial(p *tally.PartialDecryption) *tally.PartialDecryption {
	q := &tally.PartialDecryption{Trustee: p.Trustee}
	for _, s := range p.Shares {
		q.Shares = append(q.Shares, crypto.NewElement().Set(s))
	}
	for _, pr := range p.Proofs {
		c, err := new(crypto.DLEQProof).SetBytes(pr.Bytes())
		if err != nil {
			panic(err)
		}
		q.Proofs = append(q.Proofs, c)
	}
	return q
}

// cloneResult returns a deep copy of r.
func cloneResult(r *tally.Result) *tally.Result {
	q := &tally.Result{
		Counts:   slices.Clone(r.Counts),
		Trustees: slices.Clone(r.Trustees),
		Rejected: slices.Clone(r.Rejected),
	}
	for _, e := range r.Combined {
		q.Combined = append(q.Combined, crypto.NewElement().Set(e))
	}
	return q
}

func randomElement() *crypto.Element {
	return crypto.NewElement().ScalarBaseMult(crypto.RandomScalar())
}

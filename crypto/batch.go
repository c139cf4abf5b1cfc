package crypto

import (
	"crypto/rand"
	"fmt"
	"strings"

	"filippo.io/edwards25519"

	"github.com/evote/evote/crypto/internal/edwards"
)

// BatchVerifier checks many proofs at once: it re-derives every challenge
// by hashing, then combines all verification equations with random weights
// into one variable-time multi-scalar multiplication. If the combination
// fails it checks the proofs one by one to name the invalid ones.
// A BatchVerifier is not safe for concurrent use; use one per goroutine.
//
// The arguments of the Add methods are kept by reference until Verify: the
// caller must not modify them in between.
//
// Each equation e_j = 0 (a commitment minus its recomputation, as in
// docs/spec/crypto-proofs.md, section 7) is multiplied by an independent
// uniform 128-bit weight w_j from crypto/rand, and the batch accepts if
// Σ w_j·e_j is the identity. A batch holding an invalid proof passes with
// probability at most 2^−128. Terms on the same statement element (G, the
// election key K, a shared base) are merged into one scalar, so the
// multi-scalar multiplication has one point per commitment, with a short
// 128-bit scalar, plus one per distinct statement element.
type BatchVerifier struct {
	entries []batchEntry
}

type batchKind uint8

const (
	batchDLEQ batchKind = iota
	batchRange
)

type batchEntry struct {
	kind   batchKind
	ctx    []byte
	g, h   *Element // DLEQ bases
	X, Y   *Element // DLEQ X, Y
	pk     *PublicKey
	ct     *Ciphertext
	ctEnc  []byte // ct's canonical encoding, if the caller has it
	lo, hi uint64
	dp     *DLEQProof
	rp     *RangeProof
}

// NewBatchVerifier returns an empty batch.
func NewBatchVerifier() *BatchVerifier { return &BatchVerifier{} }

// AddDLEQ queues a Chaum–Pedersen proof; arguments as for VerifyDLEQ.
func (b *BatchVerifier) AddDLEQ(ctx []byte, g, X, h, Y *Element, p *DLEQProof) {
	b.entries = append(b.entries, batchEntry{kind: batchDLEQ, ctx: ctx, g: g, X: X, h: h, Y: Y, dp: p})
}

// AddRange queues a range proof; arguments as for VerifyRange.
func (b *BatchVerifier) AddRange(ctx []byte, pk *PublicKey, ct *Ciphertext, lo, hi uint64, p *RangeProof) {
	b.entries = append(b.entries, batchEntry{kind: batchRange, ctx: ctx, pk: pk, ct: ct, lo: lo, hi: hi, rp: p})
}

// AddRangeEncoded is AddRange for a ciphertext whose canonical encoding
// the caller already holds, such as the bytes it was parsed from with
// Ciphertext.SetBytes: the batch hashes ctEnc instead of encoding ct again
// (two square roots). ctEnc must be ct's encoding, taken from the same
// bytes: the challenge is derived from ctEnc while the equations use ct, so
// bytes chosen apart from ct would let a prover pick the statement after
// the challenge (the weak Fiat–Shamir flaw). It panics on a wrong length.
func (b *BatchVerifier) AddRangeEncoded(ctx []byte, pk *PublicKey, ct *Ciphertext, ctEnc []byte, lo, hi uint64, p *RangeProof) {
	if len(ctEnc) != CiphertextSize {
		panic("crypto: AddRangeEncoded called with an encoding of the wrong length")
	}
	b.entries = append(b.entries, batchEntry{kind: batchRange, ctx: ctx, pk: pk, ct: ct, ctEnc: ctEnc, lo: lo, hi: hi, rp: p})
}

// Len returns the number of queued proofs.
func (b *BatchVerifier) Len() int { return len(b.entries) }

// verifyOne checks entry e on its own.
func (e *batchEntry) verifyOne() error {
	switch e.kind {
	case batchDLEQ:
		return VerifyDLEQ(e.ctx, e.g, e.X, e.h, e.Y, e.dp)
	default:
		return VerifyRange(e.ctx, e.pk, e.ct, e.lo, e.hi, e.rp)
	}
}

// batchTerms accumulates the combined equation.
type batchTerms struct {
	enc     map[*Element][]byte
	pkEnc   map[*PublicKey][]byte
	index   map[[ElementSize]byte]int // statement element → position in stmt
	stmt    []*Element
	stmtS   []Scalar
	commit  []*Element
	commitS []Scalar
	weights []byte
}

func (t *batchTerms) encode(e *Element) []byte {
	if b, ok := t.enc[e]; ok {
		return b
	}
	b := e.Bytes()
	t.enc[e] = b
	return b
}

// statement returns the scalar of the statement element e with encoding enc.
func (t *batchTerms) statement(e *Element, enc []byte) *Scalar {
	k := [ElementSize]byte(enc)
	i, ok := t.index[k]
	if !ok {
		i = len(t.stmt)
		t.index[k] = i
		t.stmt = append(t.stmt, e)
		t.stmtS = append(t.stmtS, Scalar{})
	}
	return &t.stmtS[i]
}

// weight returns the next 128-bit weight, after adding the commitment e
// with it.
func (t *batchTerms) weight(commit *Element) *Scalar {
	var b [ScalarSize]byte
	copy(b[:16], t.weights[:16])
	t.weights = t.weights[16:]
	t.commitS = append(t.commitS, Scalar{})
	w := &t.commitS[len(t.commitS)-1]
	if _, err := w.s.SetCanonicalBytes(b[:]); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
	t.commit = append(t.commit, commit)
	return w
}

// Verify checks every queued proof. It returns nil if all hold, and
// otherwise a *BatchError listing the positions (in order of addition,
// from 0) of the invalid ones.
func (b *BatchVerifier) Verify() error {
	if len(b.entries) == 0 {
		return nil
	}
	ok, bad := b.combined()
	if ok {
		if bad == nil {
			return nil
		}
		return &BatchError{Invalid: bad}
	}

	// Fall back to one by one to name the culprits.
	var invalid []int
	for i := range b.entries {
		if len(bad) > 0 && bad[0] == i {
			invalid = append(invalid, i)
			bad = bad[1:]
			continue
		}
		if b.entries[i].verifyOne() != nil {
			invalid = append(invalid, i)
		}
	}
	if invalid == nil {
		// Unreachable unless the batch equation and the individual checks
		// disagree: trust the individual checks.
		return nil
	}
	return &BatchError{Invalid: invalid}
}

// combined checks the weighted sum of all equations. It returns whether the
// sum is the identity, and the positions of the proofs left out of it
// because their statement does not fit them (a range of the wrong width).
func (b *BatchVerifier) combined() (ok bool, bad []int) {
	neq := 0
	for i := range b.entries {
		switch e := &b.entries[i]; e.kind {
		case batchDLEQ:
			neq += 2
		default:
			if e.rp != nil {
				neq += 2 * e.rp.n
			}
		}
	}
	t := &batchTerms{
		enc:     make(map[*Element][]byte),
		pkEnc:   make(map[*PublicKey][]byte),
		index:   make(map[[ElementSize]byte]int),
		commit:  make([]*Element, 0, neq),
		commitS: make([]Scalar, 0, neq),
		weights: make([]byte, 16*neq),
	}
	rand.Read(t.weights)
	G := NewGeneratorElement()
	t.statement(G, generatorEnc)

	var tmp, sum1, sum2 Scalar
	for i := range b.entries {
		e := &b.entries[i]
		switch e.kind {
		case batchDLEQ:
			ge, xe, he, ye := t.encode(e.g), t.encode(e.X), t.encode(e.h), t.encode(e.Y)
			c := dleqChallenge(e.ctx, ge, xe, he, ye, e.dp)
			// w1·(a − z·g + c·X) + w2·(b − z·h + c·Y)
			w1 := t.weight(&e.dp.a)
			w2 := t.weight(&e.dp.b)
			s := t.statement(e.g, ge)
			tmp.Multiply(w1, &e.dp.z)
			s.Subtract(s, &tmp)
			s = t.statement(e.X, xe)
			s.MultiplyAdd(w1, c, s)
			s = t.statement(e.h, he)
			tmp.Multiply(w2, &e.dp.z)
			s.Subtract(s, &tmp)
			s = t.statement(e.Y, ye)
			s.MultiplyAdd(w2, c, s)
		default:
			ke, ok := t.pkEnc[e.pk]
			if !ok {
				ke = e.pk.Bytes()
				t.pkEnc[e.pk] = ke
			}
			var ae, be []byte
			if e.ctEnc != nil {
				ae, be = e.ctEnc[:ElementSize], e.ctEnc[ElementSize:]
			} else {
				ae, be = t.encode(&e.ct.A), t.encode(&e.ct.B)
			}
			cs, err := rangeChallenges(e.ctx, ke, ae, be, e.lo, e.hi, e.rp)
			if err != nil {
				bad = append(bad, i)
				continue
			}
			// Σ_k w1_k·(a_k − z_k·G + c_k·A) + w2_k·(b_k − z_k·K + c_k·B − c_k·m_k·G)
			var gAcc, kAcc, m Scalar
			sum1.Set(NewScalar())
			sum2.Set(NewScalar())
			p := e.rp
			for k := 0; k < p.n; k++ {
				w1 := t.weight(&p.a[k])
				w2 := t.weight(&p.b[k])
				gAcc.MultiplyAdd(w1, &p.z[k], &gAcc)
				kAcc.MultiplyAdd(w2, &p.z[k], &kAcc)
				sum1.MultiplyAdd(w1, &cs[k], &sum1)
				tmp.Multiply(w2, &cs[k])
				sum2.Add(&sum2, &tmp)
				m.SetUint64(e.lo + uint64(k))
				gAcc.MultiplyAdd(&tmp, &m, &gAcc)
			}
			g := &t.stmtS[0]
			g.Subtract(g, &gAcc)
			s := t.statement(&e.pk.k, ke)
			s.Subtract(s, &kAcc)
			s = t.statement(&e.ct.A, ae)
			s.Add(s, &sum1)
			s = t.statement(&e.ct.B, be)
			s.Add(s, &sum2)
		}
	}

	n := len(t.stmt) + len(t.commit)
	scalars := make([]*edwards25519.Scalar, 0, n)
	points := make([]*edwards25519.Point, 0, n)
	for i := range t.stmt {
		scalars = append(scalars, &t.stmtS[i].s)
		points = append(points, &t.stmt[i].p)
	}
	for i := range t.commit {
		scalars = append(scalars, &t.commitS[i].s)
		points = append(points, &t.commit[i].p)
	}
	var sum Element
	edwards.VarTimeMultiScalarMult(&sum.p, scalars, points)
	return sum.IsIdentity() == 1, bad
}

// BatchError names the invalid proofs of a batch. It wraps ErrInvalidProof.
type BatchError struct {
	Invalid []int
}

// batchErrorMaxList bounds the positions spelled out by BatchError.Error.
const batchErrorMaxList = 32

// Error says how many proofs are invalid and lists their positions (the
// first batchErrorMaxList of them).
func (e *BatchError) Error() string {
	var sb strings.Builder
	if len(e.Invalid) == 1 {
		fmt.Fprintf(&sb, "invalid proof: 1 proof of the batch is invalid: position %d", e.Invalid[0])
		return sb.String()
	}
	fmt.Fprintf(&sb, "invalid proof: %d proofs of the batch are invalid: positions ", len(e.Invalid))
	for i, p := range e.Invalid {
		if i == batchErrorMaxList {
			fmt.Fprintf(&sb, " and %d more", len(e.Invalid)-i)
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%d", p)
	}
	return sb.String()
}

// Unwrap returns ErrInvalidProof.
func (e *BatchError) Unwrap() error { return ErrInvalidProof }

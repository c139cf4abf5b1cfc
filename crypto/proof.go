package crypto

import (
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
)

// The proofs below follow docs/spec/crypto-proofs.md. All are sigma
// protocols made non-interactive by the strong Fiat–Shamir transform: the
// challenge hashes a domain label, the caller's context, every element of
// the statement and every commitment, in that order. Proofs carry their
// commitments, not only challenges, so that a BatchVerifier can check many
// at once.

// ErrInvalidProof is wrapped by every proof verification failure.
var ErrInvalidProof = errors.New("invalid proof")

// Proof sizes in bytes.
const (
	SchnorrProofSize = 2 * 32 // commitment, response
	DLEQProofSize    = 3 * 32 // two commitments, response
)

// MaxRangeProofBranches is the largest number of values, hi − lo + 1, that
// a range proof may cover.
const MaxRangeProofBranches = 1024

// Transcript domain labels (docs/spec/crypto-proofs.md, section 3).
const (
	schnorrLabel = "evote/v1/proof/schnorr"
	dleqLabel    = "evote/v1/proof/dleq"
	rangeLabel   = "evote/v1/proof/range"
)

// generatorEnc is the canonical encoding of G.
var generatorEnc = NewGeneratorElement().Bytes()

// randomScalarFrom reads 64 bytes from rnd and reduces them modulo ℓ.
func randomScalarFrom(rnd io.Reader, s *Scalar) *Scalar {
	var b [UniformSize]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		panic("crypto: random source failed: " + err.Error())
	}
	s.s.SetUniformBytes(b[:])
	return s
}

// parseElement decodes one canonical element, prefixing errors with what.
func parseElement(out *Element, b []byte, what string) error {
	if _, err := out.SetCanonicalBytes(b); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func parseScalar(out *Scalar, b []byte, what string) error {
	if _, err := out.SetCanonicalBytes(b); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// SchnorrProof proves knowledge of x such that X = x·G.
// Its encoding is R || z (docs/spec/crypto-proofs.md, section 4).
// The zero value is not a valid proof; obtain one from ProveSchnorr or
// SetBytes.
type SchnorrProof struct {
	r   Element
	z   Scalar
	enc [SchnorrProofSize]byte
}

// ProveSchnorr proves knowledge of x with X = x·G, bound to ctx.
func ProveSchnorr(ctx []byte, x *Scalar, X *Element) *SchnorrProof {
	return proveSchnorr(rand.Reader, ctx, x, X)
}

func proveSchnorr(rnd io.Reader, ctx []byte, x *Scalar, X *Element) *SchnorrProof {
	var k Scalar
	randomScalarFrom(rnd, &k)
	p := new(SchnorrProof)
	p.r.ScalarBaseMult(&k)
	p.r.appendBytes(p.enc[:0])
	c := schnorrChallenge(ctx, X.Bytes(), p)
	p.z.MultiplyAdd(c, x, &k)
	copy(p.enc[32:], p.z.Bytes())
	return p
}

// schnorrChallenge builds the transcript of section 4 and returns c.
func schnorrChallenge(ctx, Xenc []byte, p *SchnorrProof) *Scalar {
	t := NewTranscript(schnorrLabel)
	t.AppendMessage("ctx", ctx)
	t.appendEncoded("G", generatorEnc)
	t.appendEncoded("X", Xenc)
	t.appendEncoded("R", p.enc[:32])
	return t.ChallengeScalar("c")
}

// VerifySchnorr checks p for X under ctx; errors wrap ErrInvalidProof.
// It checks z·G = R + c·X.
func VerifySchnorr(ctx []byte, X *Element, p *SchnorrProof) error {
	c := schnorrChallenge(ctx, X.Bytes(), p)
	c.Negate(c)
	var chk Element
	chk.VarTimeDoubleScalarBaseMult(c, X, &p.z)
	if chk.Equal(&p.r) != 1 {
		return fmt.Errorf("%w: schnorr: z·G ≠ R + c·X", ErrInvalidProof)
	}
	return nil
}

// Bytes returns the canonical encoding of p.
func (p *SchnorrProof) Bytes() []byte {
	out := make([]byte, SchnorrProofSize)
	copy(out, p.enc[:])
	return out
}

// SetBytes parses a canonical encoding; on error p is unchanged.
func (p *SchnorrProof) SetBytes(b []byte) (*SchnorrProof, error) {
	if len(b) != SchnorrProofSize {
		return nil, fmt.Errorf("schnorr proof: %w: length %d, want %d", ErrInvalidEncoding, len(b), SchnorrProofSize)
	}
	var q SchnorrProof
	if err := parseElement(&q.r, b[:32], "schnorr proof: R"); err != nil {
		return nil, err
	}
	if err := parseScalar(&q.z, b[32:], "schnorr proof: z"); err != nil {
		return nil, err
	}
	copy(q.enc[:], b)
	*p = q
	return p, nil
}

// DLEQProof is a Chaum–Pedersen proof that log_g X = log_h Y.
// Its encoding is a || b || z (docs/spec/crypto-proofs.md, section 5).
// The zero value is not a valid proof; obtain one from ProveDLEQ or
// SetBytes.
type DLEQProof struct {
	a, b Element
	z    Scalar
	enc  [DLEQProofSize]byte
}

// ProveDLEQ proves knowledge of x with X = x·g and Y = x·h, bound to ctx.
func ProveDLEQ(ctx []byte, x *Scalar, g, X, h, Y *Element) *DLEQProof {
	return proveDLEQ(rand.Reader, ctx, x, g, X, h, Y)
}

func proveDLEQ(rnd io.Reader, ctx []byte, x *Scalar, g, X, h, Y *Element) *DLEQProof {
	var k Scalar
	randomScalarFrom(rnd, &k)
	p := new(DLEQProof)
	p.a.ScalarMult(&k, g)
	p.b.ScalarMult(&k, h)
	p.a.appendBytes(p.enc[:0])
	p.b.appendBytes(p.enc[:32])
	c := dleqChallenge(ctx, g.Bytes(), X.Bytes(), h.Bytes(), Y.Bytes(), p)
	p.z.MultiplyAdd(c, x, &k)
	copy(p.enc[64:], p.z.Bytes())
	return p
}

// dleqChallenge builds the transcript of section 5 and returns c.
func dleqChallenge(ctx, genc, Xenc, henc, Yenc []byte, p *DLEQProof) *Scalar {
	t := NewTranscript(dleqLabel)
	t.AppendMessage("ctx", ctx)
	t.appendEncoded("g", genc)
	t.appendEncoded("X", Xenc)
	t.appendEncoded("h", henc)
	t.appendEncoded("Y", Yenc)
	t.appendEncoded("a", p.enc[:32])
	t.appendEncoded("b", p.enc[32:64])
	return t.ChallengeScalar("c")
}

// VerifyDLEQ checks p for (g, X, h, Y) under ctx; errors wrap ErrInvalidProof.
// It checks z·g = a + c·X and z·h = b + c·Y.
func VerifyDLEQ(ctx []byte, g, X, h, Y *Element, p *DLEQProof) error {
	c := dleqChallenge(ctx, g.Bytes(), X.Bytes(), h.Bytes(), Y.Bytes(), p)
	c.Negate(c)
	var chk Element
	chk.VarTimeMultiScalarMult([]*Scalar{&p.z, c}, []*Element{g, X})
	if chk.Equal(&p.a) != 1 {
		return fmt.Errorf("%w: dleq: z·g ≠ a + c·X", ErrInvalidProof)
	}
	chk.VarTimeMultiScalarMult([]*Scalar{&p.z, c}, []*Element{h, Y})
	if chk.Equal(&p.b) != 1 {
		return fmt.Errorf("%w: dleq: z·h ≠ b + c·Y", ErrInvalidProof)
	}
	return nil
}

// Bytes returns the canonical encoding of p.
func (p *DLEQProof) Bytes() []byte {
	out := make([]byte, DLEQProofSize)
	copy(out, p.enc[:])
	return out
}

// SetBytes parses a canonical encoding; on error p is unchanged.
func (p *DLEQProof) SetBytes(b []byte) (*DLEQProof, error) {
	if len(b) != DLEQProofSize {
		return nil, fmt.Errorf("dleq proof: %w: length %d, want %d", ErrInvalidEncoding, len(b), DLEQProofSize)
	}
	var q DLEQProof
	if err := parseElement(&q.a, b[:32], "dleq proof: a"); err != nil {
		return nil, err
	}
	if err := parseElement(&q.b, b[32:64], "dleq proof: b"); err != nil {
		return nil, err
	}
	if err := parseScalar(&q.z, b[64:], "dleq proof: z"); err != nil {
		return nil, err
	}
	copy(q.enc[:], b)
	*p = q
	return p, nil
}

// RangeProof is a disjunctive Chaum–Pedersen proof that a ciphertext
// encrypts an integer in [lo, hi]; its size is linear in hi − lo.
//
// For n = hi − lo + 1 branches its encoding is a_0 || b_0 || z_0 || … ||
// a_{n−1} || b_{n−1} || z_{n−1} || c_0 || … || c_{n−2}: the last branch
// challenge is c − Σ c_j, so the challenges sum to c by construction
// (docs/spec/crypto-proofs.md, section 6). The zero value is not a valid
// proof; obtain one from ProveRange or SetBytes.
type RangeProof struct {
	n    int
	a, b []Element
	z    []Scalar
	c    []Scalar // n−1 challenges
	enc  []byte
}

// rangeBranches returns n = hi − lo + 1, or an error if the range is empty
// or wider than MaxRangeProofBranches.
func rangeBranches(lo, hi uint64) (int, error) {
	if hi < lo {
		return 0, fmt.Errorf("range [%d, %d] is empty", lo, hi)
	}
	if hi-lo >= MaxRangeProofBranches {
		return 0, fmt.Errorf("range [%d, %d] has more than %d values", lo, hi, MaxRangeProofBranches)
	}
	return int(hi-lo) + 1, nil
}

// rangeProofLen is the encoded size of a proof with n branches.
func rangeProofLen(n int) int { return 3*32*n + 32*(n-1) }

// RangeProofSize returns the encoded size of a proof for [lo, hi]:
// 96·n + 32·(n − 1) bytes for n = hi − lo + 1. It returns 0 if hi < lo or
// n > MaxRangeProofBranches, ranges for which no proof exists.
func RangeProofSize(lo, hi uint64) int {
	n, err := rangeBranches(lo, hi)
	if err != nil {
		return 0
	}
	return rangeProofLen(n)
}

// ProveRange proves that ct = Enc_pk(v; r) with lo ≤ v ≤ hi, bound to ctx.
// It returns an error if v is outside [lo, hi] or the range is too wide.
//
// All branches are computed with the same sequence of constant-time
// operations (ScalarBaseMult, FixedBaseMult, fiat-crypto scalar
// arithmetic), the real one picked by multiplying by a 0/1 scalar derived
// from a constant-time comparison of k and v − lo: there is no branch or
// memory access that depends on v or r. What is not hidden: lo, hi, whether
// v is in range (checked first, with a branch), and the first use of
// pk.Table(), which builds the table. Each branch costs two ScalarBaseMult
// and one FixedBaseMult with the table of K.
func ProveRange(ctx []byte, pk *PublicKey, ct *Ciphertext, v uint64, r *Scalar, lo, hi uint64) (*RangeProof, error) {
	return proveRange(rand.Reader, ctx, pk, ct, v, r, lo, hi)
}

// ctEq64 returns 1 if x == y and 0 otherwise, in constant time.
func ctEq64(x, y uint64) uint64 {
	d := x ^ y
	return 1 ^ ((d | -d) >> 63)
}

func proveRange(rnd io.Reader, ctx []byte, pk *PublicKey, ct *Ciphertext, v uint64, r *Scalar, lo, hi uint64) (*RangeProof, error) {
	n, err := rangeBranches(lo, hi)
	if err != nil {
		return nil, fmt.Errorf("range proof: %w", err)
	}
	if v < lo || v > hi {
		return nil, errors.New("range proof: value outside the range")
	}
	tab := pk.Table()
	var ctEnc [CiphertextSize]byte
	ct.A.appendBytes(ctEnc[:0])
	ct.B.appendBytes(ctEnc[:32])
	idx := v - lo

	p := &RangeProof{
		n:   n,
		a:   make([]Element, n),
		b:   make([]Element, n),
		z:   make([]Scalar, n),
		c:   make([]Scalar, n-1),
		enc: make([]byte, rangeProofLen(n)),
	}
	e := make([]Scalar, n)  // nonce of the real branch, z of the others
	cs := make([]Scalar, n) // c_k of simulated branches, 0 for the real one
	var vs, mk, bit, s, tk Scalar
	var tG Element
	vs.SetUint64(v)
	for k := 0; k < n; k++ {
		randomScalarFrom(rnd, &e[k])
		randomScalarFrom(rnd, &cs[k])
		isReal := ctEq64(uint64(k), idx)
		bit.SetUint64(1 ^ isReal)
		cs[k].Multiply(&cs[k], &bit)
		// s = e − c'·r: the nonce w for the real branch, z − c·r otherwise.
		s.Negate(&cs[k])
		s.MultiplyAdd(&s, r, &e[k])
		// t = c'·(m − v): 0 for the real branch (c' = 0 and m = v).
		mk.SetUint64(lo + uint64(k))
		mk.Subtract(&mk, &vs)
		tk.Multiply(&cs[k], &mk)
		// a = s·G, b = s·K + t·G.
		p.a[k].ScalarBaseMult(&s)
		p.b[k].FixedBaseMult(&s, tab)
		tG.ScalarBaseMult(&tk)
		p.b[k].Add(&p.b[k], &tG)
	}
	encodeRangeCommitments(p)

	c := rangeTranscript(ctx, tab.enc[:], ctEnc[:32], ctEnc[32:], lo, hi, p).ChallengeScalar("c")
	// The real challenge is c − Σ c'_k.
	creal := c
	for k := 0; k < n; k++ {
		creal.Subtract(creal, &cs[k])
	}
	var cr Scalar
	for k := 0; k < n; k++ {
		bit.SetUint64(ctEq64(uint64(k), idx))
		cr.Multiply(creal, &bit)
		p.z[k].MultiplyAdd(&cr, r, &e[k])
		copy(p.enc[96*k+64:], p.z[k].Bytes())
		if k < n-1 {
			p.c[k].Add(&cs[k], &cr)
			copy(p.enc[96*n+32*k:], p.c[k].Bytes())
		}
	}
	return p, nil
}

// encodeRangeCommitments writes the encodings of the a and b commitments
// of p into p.enc.
func encodeRangeCommitments(p *RangeProof) {
	for k := 0; k < p.n; k++ {
		p.a[k].appendBytes(p.enc[96*k : 96*k])
		p.b[k].appendBytes(p.enc[96*k+32 : 96*k+32])
	}
}

// rangeTranscript builds the transcript of section 6 up to the challenge.
func rangeTranscript(ctx, Kenc, Aenc, Benc []byte, lo, hi uint64, p *RangeProof) *Transcript {
	// Sized for every item and the challenge, so that it never grows:
	// an item is u32be(len(label)) || label || u64be(len(data)) || data.
	const item = 4 + 8
	size := 4 + len(rangeLabel) + item + len("ctx") + len(ctx) + 4*(item+1+ElementSize) +
		2*(item+2+8) + 2*p.n*(item+1+ElementSize) + item + 1 + sha512.Size
	t := newTranscriptCap(rangeLabel, size)
	t.AppendMessage("ctx", ctx)
	t.appendEncoded("G", generatorEnc)
	t.appendEncoded("K", Kenc)
	t.appendEncoded("A", Aenc)
	t.appendEncoded("B", Benc)
	t.AppendUint64("lo", lo)
	t.AppendUint64("hi", hi)
	for k := 0; k < p.n; k++ {
		t.appendEncoded("a", p.enc[96*k:96*k+32])
		t.appendEncoded("b", p.enc[96*k+32:96*k+64])
	}
	return t
}

// rangeChallenges checks the range against p and returns the n branch
// challenges, the last being c − Σ c_k.
func rangeChallenges(ctx, Kenc, Aenc, Benc []byte, lo, hi uint64, p *RangeProof) ([]Scalar, error) {
	n, err := rangeBranches(lo, hi)
	if err != nil {
		return nil, fmt.Errorf("%w: range proof: %v", ErrInvalidProof, err)
	}
	if p.n != n {
		return nil, fmt.Errorf("%w: range proof: has %d branches, range [%d, %d] needs %d", ErrInvalidProof, p.n, lo, hi, n)
	}
	c := rangeTranscript(ctx, Kenc, Aenc, Benc, lo, hi, p).ChallengeScalar("c")
	cs := make([]Scalar, n)
	copy(cs, p.c)
	last := &cs[n-1]
	last.Set(c)
	for k := 0; k < n-1; k++ {
		last.Subtract(last, &cs[k])
	}
	return cs, nil
}

// VerifyRange checks p for ct ∈ [lo, hi] under ctx; errors wrap ErrInvalidProof.
// For each branch k, with m = lo + k, it checks z_k·G = a_k + c_k·A and
// z_k·K = b_k + c_k·(B − m·G).
func VerifyRange(ctx []byte, pk *PublicKey, ct *Ciphertext, lo, hi uint64, p *RangeProof) error {
	var ctEnc [CiphertextSize]byte
	ct.A.appendBytes(ctEnc[:0])
	ct.B.appendBytes(ctEnc[:32])
	cs, err := rangeChallenges(ctx, pk.Bytes(), ctEnc[:32], ctEnc[32:], lo, hi, p)
	if err != nil {
		return err
	}
	var negC, cm, m Scalar
	var chk Element
	G := NewGeneratorElement()
	for k := 0; k < p.n; k++ {
		negC.Negate(&cs[k])
		chk.VarTimeDoubleScalarBaseMult(&negC, &ct.A, &p.z[k])
		if chk.Equal(&p.a[k]) != 1 {
			return fmt.Errorf("%w: range proof: branch %d: z·G ≠ a + c·A", ErrInvalidProof, k)
		}
		m.SetUint64(lo + uint64(k))
		cm.Multiply(&cs[k], &m)
		chk.VarTimeMultiScalarMult([]*Scalar{&p.z[k], &negC, &cm}, []*Element{&pk.k, &ct.B, G})
		if chk.Equal(&p.b[k]) != 1 {
			return fmt.Errorf("%w: range proof: branch %d: z·K ≠ b + c·(B − m·G)", ErrInvalidProof, k)
		}
	}
	return nil
}

// Bytes returns the canonical encoding of p.
func (p *RangeProof) Bytes() []byte {
	out := make([]byte, len(p.enc))
	copy(out, p.enc)
	return out
}

// SetBytes parses a canonical encoding; on error p is unchanged. The number
// of branches follows from the length, 128·n − 32 bytes; VerifyRange checks
// that it matches the range.
func (p *RangeProof) SetBytes(b []byte) (*RangeProof, error) {
	if len(b) < 96 || (len(b)+32)%128 != 0 || (len(b)+32)/128 > MaxRangeProofBranches {
		return nil, fmt.Errorf("range proof: %w: length %d is not 128·n − 32 for 1 ≤ n ≤ %d", ErrInvalidEncoding, len(b), MaxRangeProofBranches)
	}
	n := (len(b) + 32) / 128
	q := &RangeProof{
		n:   n,
		a:   make([]Element, n),
		b:   make([]Element, n),
		z:   make([]Scalar, n),
		c:   make([]Scalar, n-1),
		enc: make([]byte, len(b)),
	}
	// The errors are those of parseElement and parseScalar, formatted only
	// on failure: ballots carry dozens of range proofs.
	for k := 0; k < n; k++ {
		o := 96 * k
		if _, err := q.a[k].SetCanonicalBytes(b[o : o+32]); err != nil {
			return nil, fmt.Errorf("range proof: branch %d: a: %w", k, err)
		}
		if _, err := q.b[k].SetCanonicalBytes(b[o+32 : o+64]); err != nil {
			return nil, fmt.Errorf("range proof: branch %d: b: %w", k, err)
		}
		if _, err := q.z[k].SetCanonicalBytes(b[o+64 : o+96]); err != nil {
			return nil, fmt.Errorf("range proof: branch %d: z: %w", k, err)
		}
	}
	for k := 0; k < n-1; k++ {
		o := 96*n + 32*k
		if _, err := q.c[k].SetCanonicalBytes(b[o : o+32]); err != nil {
			return nil, fmt.Errorf("range proof: challenge %d: %w", k, err)
		}
	}
	copy(q.enc, b)
	*p = *q
	return p, nil
}

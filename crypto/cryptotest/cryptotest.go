// Package cryptotest provides derandomized twins of the randomized
// functions of package crypto, for test vectors only: given the same random
// stream, they return the same bytes as crypto's own provers would.
//
// They are a second, deliberately plain implementation of the provers of
// docs/spec/crypto-proofs.md, written on crypto's public API only: they are
// neither constant time nor fast, and must never handle real secrets.
package cryptotest

import (
	"crypto/sha3"
	"errors"
	"fmt"
	"io"

	"github.com/evote/evote/crypto"
)

// NewReader returns a deterministic stream of bytes derived from seed:
// the output of SHAKE128(seed).
func NewReader(seed []byte) io.Reader {
	h := sha3.NewSHAKE128()
	h.Write(seed)
	return h
}

// scalar reads 64 bytes from rand and reduces them modulo ℓ, as crypto
// draws every secret scalar.
func scalar(rand io.Reader) *crypto.Scalar {
	var b [crypto.UniformSize]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		panic("cryptotest: " + err.Error())
	}
	s, err := crypto.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

// Scalar returns the scalar that crypto would draw from the next 64 bytes
// of rand.
func Scalar(rand io.Reader) *crypto.Scalar { return scalar(rand) }

// GenerateKey returns the key pair whose secret is drawn from rand.
func GenerateKey(rand io.Reader) *crypto.PrivateKey {
	for {
		if sk, err := crypto.NewPrivateKey(scalar(rand)); err == nil {
			return sk
		}
	}
}

// Encrypt is crypto.PublicKey.Encrypt with randomness drawn from rand.
func Encrypt(pk *crypto.PublicKey, v uint64, rand io.Reader) (*crypto.Ciphertext, *crypto.Scalar) {
	r := scalar(rand)
	return pk.EncryptWithRandomness(v, r), r
}

func mustElement(b []byte) *crypto.Element {
	e, err := crypto.NewElement().SetCanonicalBytes(b)
	if err != nil {
		panic(err)
	}
	return e
}

// ProveSchnorr is crypto.ProveSchnorr with its nonce drawn from rand.
func ProveSchnorr(ctx []byte, x *crypto.Scalar, X *crypto.Element, rand io.Reader) *crypto.SchnorrProof {
	k := scalar(rand)
	R := crypto.NewElement().ScalarBaseMult(k)
	t := crypto.NewTranscript("evote/v1/proof/schnorr")
	t.AppendMessage("ctx", ctx)
	t.AppendElement("G", crypto.NewGeneratorElement())
	t.AppendElement("X", X)
	t.AppendElement("R", R)
	c := t.ChallengeScalar("c")
	z := crypto.NewScalar().MultiplyAdd(c, x, k)
	p, err := new(crypto.SchnorrProof).SetBytes(append(R.Bytes(), z.Bytes()...))
	if err != nil {
		panic(err)
	}
	return p
}

// ProveDLEQ is crypto.ProveDLEQ with its nonce drawn from rand.
func ProveDLEQ(ctx []byte, x *crypto.Scalar, g, X, h, Y *crypto.Element, rand io.Reader) *crypto.DLEQProof {
	k := scalar(rand)
	a := crypto.NewElement().ScalarMult(k, g)
	b := crypto.NewElement().ScalarMult(k, h)
	t := crypto.NewTranscript("evote/v1/proof/dleq")
	t.AppendMessage("ctx", ctx)
	t.AppendElement("g", g)
	t.AppendElement("X", X)
	t.AppendElement("h", h)
	t.AppendElement("Y", Y)
	t.AppendElement("a", a)
	t.AppendElement("b", b)
	c := t.ChallengeScalar("c")
	z := crypto.NewScalar().MultiplyAdd(c, x, k)
	enc := append(append(a.Bytes(), b.Bytes()...), z.Bytes()...)
	p, err := new(crypto.DLEQProof).SetBytes(enc)
	if err != nil {
		panic(err)
	}
	return p
}

// ProveRange is crypto.ProveRange with its randomness drawn from rand: for
// each branch k in order, 64 bytes for e_k (the nonce of the real branch,
// the response of a simulated one) then 64 bytes for c_k (the challenge of
// a simulated branch, discarded for the real one).
func ProveRange(ctx []byte, pk *crypto.PublicKey, ct *crypto.Ciphertext, v uint64, r *crypto.Scalar, lo, hi uint64, rand io.Reader) (*crypto.RangeProof, error) {
	if hi < lo || hi-lo >= crypto.MaxRangeProofBranches {
		return nil, fmt.Errorf("cryptotest: bad range [%d, %d]", lo, hi)
	}
	if v < lo || v > hi {
		return nil, errors.New("cryptotest: value outside the range")
	}
	n := int(hi-lo) + 1
	real := int(v - lo)
	G := crypto.NewGeneratorElement()
	K := pk.Element()
	ctb := ct.Bytes()
	A, B := mustElement(ctb[:32]), mustElement(ctb[32:])
	e := make([]*crypto.Scalar, n)
	c := make([]*crypto.Scalar, n)
	a := make([]*crypto.Element, n)
	b := make([]*crypto.Element, n)
	for k := 0; k < n; k++ {
		e[k], c[k] = scalar(rand), scalar(rand)
		if k == real {
			a[k] = crypto.NewElement().ScalarBaseMult(e[k])
			b[k] = crypto.NewElement().ScalarMult(e[k], K)
			continue
		}
		// a = z·G − c·A, b = z·K − c·(B − m·G)
		m := crypto.NewScalar().SetUint64(lo + uint64(k))
		negC := crypto.NewScalar().Negate(c[k])
		a[k] = crypto.NewElement().ScalarBaseMult(e[k])
		a[k].Add(a[k], crypto.NewElement().ScalarMult(negC, A))
		BmG := crypto.NewElement().Subtract(B, crypto.NewElement().ScalarBaseMult(m))
		b[k] = crypto.NewElement().ScalarMult(e[k], K)
		b[k].Add(b[k], crypto.NewElement().ScalarMult(negC, BmG))
	}
	t := crypto.NewTranscript("evote/v1/proof/range")
	t.AppendMessage("ctx", ctx)
	t.AppendElement("G", G)
	t.AppendElement("K", K)
	t.AppendElement("A", A)
	t.AppendElement("B", B)
	t.AppendUint64("lo", lo)
	t.AppendUint64("hi", hi)
	for k := 0; k < n; k++ {
		t.AppendElement("a", a[k])
		t.AppendElement("b", b[k])
	}
	ch := t.ChallengeScalar("c")
	for k := 0; k < n; k++ {
		if k != real {
			ch.Subtract(ch, c[k])
		}
	}
	c[real] = ch
	z := make([]*crypto.Scalar, n)
	copy(z, e)
	z[real] = crypto.NewScalar().MultiplyAdd(ch, r, e[real])

	var enc []byte
	for k := 0; k < n; k++ {
		enc = append(enc, a[k].Bytes()...)
		enc = append(enc, b[k].Bytes()...)
		enc = append(enc, z[k].Bytes()...)
	}
	for k := 0; k < n-1; k++ {
		enc = append(enc, c[k].Bytes()...)
	}
	return new(crypto.RangeProof).SetBytes(enc)
}

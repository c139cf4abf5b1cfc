package crypto

import (
	"errors"
	"fmt"
	"sync"
)

// CiphertextSize is the length of an encoded Ciphertext.
const CiphertextSize = 2 * ElementSize

// PublicKey is an ElGamal public key K = x·G. It carries a lazily built
// fixed-base table so that r·K costs about as much as r·G.
type PublicKey struct {
	k         Element
	tableOnce sync.Once
	table     *FixedBaseTable
}

// NewPublicKey parses the canonical encoding of a public key. The identity
// is rejected: it would encrypt in the clear.
func NewPublicKey(b []byte) (*PublicKey, error) {
	e, err := NewElement().SetCanonicalBytes(b)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return PublicKeyFromElement(e)
}

// PublicKeyFromElement returns the public key K = e. It rejects the identity.
func PublicKeyFromElement(e *Element) (*PublicKey, error) {
	if e.IsIdentity() == 1 {
		return nil, fmt.Errorf("public key: %w", fmt.Errorf("%w: identity element", ErrInvalidEncoding))
	}
	pk := new(PublicKey)
	pk.k.Set(e)
	return pk, nil
}

// Bytes returns the canonical encoding of the key.
func (pk *PublicKey) Bytes() []byte { return pk.k.Bytes() }

// Element returns a copy of the key as a group element.
func (pk *PublicKey) Element() *Element { return NewElement().Set(&pk.k) }

// Equal reports whether pk and x are the same key.
func (pk *PublicKey) Equal(x *PublicKey) bool { return pk.k.Equal(&x.k) == 1 }

// Table returns the fixed-base table of K, building it on first use.
func (pk *PublicKey) Table() *FixedBaseTable {
	pk.tableOnce.Do(func() { pk.table = NewFixedBaseTable(&pk.k) })
	return pk.table
}

// PrivateKey is an ElGamal secret key x with its public key x·G.
type PrivateKey struct {
	x  Scalar
	pk *PublicKey
}

// GenerateKey returns a fresh key pair from crypto/rand.
func GenerateKey() *PrivateKey {
	for {
		if sk, err := NewPrivateKey(RandomScalar()); err == nil {
			return sk
		}
	}
}

// NewPrivateKey returns the key pair of secret x. It rejects x = 0.
func NewPrivateKey(x *Scalar) (*PrivateKey, error) {
	if x.IsZero() == 1 {
		return nil, errors.New("private key: zero scalar")
	}
	sk := &PrivateKey{}
	sk.x.Set(x)
	pk, err := PublicKeyFromElement(NewElement().ScalarBaseMult(x))
	if err != nil {
		return nil, err
	}
	sk.pk = pk
	return sk, nil
}

// PublicKey returns the public half of sk.
func (sk *PrivateKey) PublicKey() *PublicKey { return sk.pk }

// Scalar returns a copy of the secret scalar.
func (sk *PrivateKey) Scalar() *Scalar { return NewScalar().Set(&sk.x) }

// Decrypt returns v·G for the ciphertext (A, B) = (r·G, v·G + r·K):
// B − x·A. Use a DlogSolver to recover a small v.
func (sk *PrivateKey) Decrypt(c *Ciphertext) *Element {
	xa := NewElement().ScalarMult(&sk.x, &c.A)
	return NewElement().Subtract(&c.B, xa)
}

// Ciphertext is an exponential ElGamal ciphertext (A, B) = (r·G, v·G + r·K).
// Ciphertexts add component-wise: the sum encrypts the sum of the values.
type Ciphertext struct {
	A, B Element
}

// NewCiphertext returns the trivial encryption of 0 with randomness 0,
// the neutral element for Add.
func NewCiphertext() *Ciphertext {
	c := new(Ciphertext)
	c.A.Set(NewElement())
	c.B.Set(NewElement())
	return c
}

// Encrypt encrypts v under pk with fresh randomness from crypto/rand and
// returns the ciphertext and the randomness, which the caller needs to
// prove statements about it and must otherwise keep secret.
func (pk *PublicKey) Encrypt(v uint64) (*Ciphertext, *Scalar) {
	r := RandomScalar()
	return pk.EncryptWithRandomness(v, r), r
}

// EncryptWithRandomness returns (r·G, v·G + r·K). It is constant time in r
// and v's bits.
func (pk *PublicKey) EncryptWithRandomness(v uint64, r *Scalar) *Ciphertext {
	vG := NewElement().ScalarBaseMult(NewScalar().SetUint64(v))
	return pk.encryptElement(vG, r)
}

// EncryptElementWithRandomness returns the plain ElGamal ciphertext
// (r·G, m + r·K) of the group element m, for checking a revealed
// encryption (EncryptElement draws r). It is constant time in r.
func (pk *PublicKey) EncryptElementWithRandomness(m *Element, r *Scalar) *Ciphertext {
	return pk.encryptElement(m, r)
}

// encryptElement returns the plain ElGamal ciphertext (r·G, m + r·K).
func (pk *PublicKey) encryptElement(m *Element, r *Scalar) *Ciphertext {
	c := new(Ciphertext)
	c.A.ScalarBaseMult(r)
	c.B.FixedBaseMult(r, pk.Table())
	c.B.Add(&c.B, m)
	return c
}

// Set sets c = x and returns c.
func (c *Ciphertext) Set(x *Ciphertext) *Ciphertext {
	c.A.Set(&x.A)
	c.B.Set(&x.B)
	return c
}

// Add sets c = x + y component-wise and returns c.
func (c *Ciphertext) Add(x, y *Ciphertext) *Ciphertext {
	c.A.Add(&x.A, &y.A)
	c.B.Add(&x.B, &y.B)
	return c
}

// Subtract sets c = x − y component-wise and returns c. If y was added to
// x, it takes it back out: the result encrypts the difference of the values
// (as an element of the group: a value below 0 does not decrypt to a small
// number).
func (c *Ciphertext) Subtract(x, y *Ciphertext) *Ciphertext {
	c.A.Subtract(&x.A, &y.A)
	c.B.Subtract(&x.B, &y.B)
	return c
}

// VarTimeMultiply sets c = w·x component-wise and returns c: the result
// encrypts w times x's value, with w times its randomness. A tally weighs
// the ballot of a voter of weight w by it (docs/spec/tally.md §2). It
// doubles and adds along w's bits, a few dozen additions for a weight
// below 2^20 where a scalar multiplication costs hundreds: it runs in time
// that depends on w, which must be public.
func (c *Ciphertext) VarTimeMultiply(w uint64, x *Ciphertext) *Ciphertext {
	var a, b, accA, accB Element
	a.Set(&x.A)
	b.Set(&x.B)
	accA.Set(NewElement())
	accB.Set(NewElement())
	for ; w > 0; w >>= 1 {
		if w&1 == 1 {
			accA.Add(&accA, &a)
			accB.Add(&accB, &b)
		}
		if w > 1 {
			a.Add(&a, &a)
			b.Add(&b, &b)
		}
	}
	c.A.Set(&accA)
	c.B.Set(&accB)
	return c
}

// Rerandomize sets c to a fresh encryption of the same value as x, adding
// an encryption of 0 with randomness from crypto/rand, and returns c and
// the added randomness.
func (c *Ciphertext) Rerandomize(pk *PublicKey, x *Ciphertext) (*Ciphertext, *Scalar) {
	zero, r := pk.Encrypt(0)
	return c.Add(x, zero), r
}

// Equal returns 1 if c and x are the same ciphertext, and 0 otherwise.
func (c *Ciphertext) Equal(x *Ciphertext) int {
	return c.A.Equal(&x.A) & c.B.Equal(&x.B)
}

// Bytes returns the 64-byte encoding A || B.
func (c *Ciphertext) Bytes() []byte {
	out := make([]byte, 0, CiphertextSize)
	out = c.A.appendBytes(out)
	return c.B.appendBytes(out)
}

// SetBytes sets c to the ciphertext encoded by b, which must be the
// canonical 64-byte encoding. On error c is unchanged.
func (c *Ciphertext) SetBytes(b []byte) (*Ciphertext, error) {
	if len(b) != CiphertextSize {
		return nil, fmt.Errorf("ciphertext: %w", fmt.Errorf("%w: must be 64 bytes", ErrInvalidEncoding))
	}
	var a, bb Element
	if _, err := a.SetCanonicalBytes(b[:ElementSize]); err != nil {
		return nil, fmt.Errorf("ciphertext A: %w", err)
	}
	if _, err := bb.SetCanonicalBytes(b[ElementSize:]); err != nil {
		return nil, fmt.Errorf("ciphertext B: %w", err)
	}
	c.A.Set(&a)
	c.B.Set(&bb)
	return c, nil
}

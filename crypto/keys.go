package crypto

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// CheckEd25519PublicKey reports what is wrong with b as an Ed25519 public
// key that an election names (an official, a registrar, a trustee's
// signing key, a voter's credential), or nil (docs/spec/ballot.md §1.1):
// it must be the canonical encoding of a curve point, the one that
// re-encoding the point gives back, and the point must not be of small
// order. For a small-order key A, k·A is one of eight points whatever the
// message, so anyone can sign as A.
//
// filippo.io/edwards25519 decodes two kinds of non-canonical encodings: a
// y coordinate of p = 2^255 − 19 or more, and the sign bit set for x = 0.
// Only y = ±1 have x = 0, and those are small-order points, so refusing
// y ≥ p and small orders refuses every encoding that differs from its
// point's Bytes, without the field inversion that Bytes costs (it would
// double the cost of parsing a roll of millions of keys).
func CheckEd25519PublicKey(b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("an Ed25519 public key is 32 bytes, not %d", len(b))
	}
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		return errors.New("not a valid Ed25519 public key (not a curve point)")
	}
	if b[31]&0x7f == 0x7f && b[0] >= 0xed && bytes.Count(b[1:31], []byte{0xff}) == 30 {
		return errors.New("Ed25519 public key not in canonical encoding (its y coordinate is not reduced modulo 2^255 − 19)")
	}
	if p.MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return errors.New("a small-order Ed25519 key: anyone could sign as it")
	}
	return nil
}

// lowOrderProbe is a fixed X25519 private key that detects low-order
// public keys: for those, the shared secret is zero whatever the private
// key, and crypto/ecdh reports an error.
var lowOrderProbe = func() *ecdh.PrivateKey {
	k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

// CheckX25519PublicKey reports what is wrong with b as a trustee's HPKE
// X25519 public key, or nil (docs/spec/ceremony.md §2.1): the
// little-endian u-coordinate in canonical form (top bit clear, u < 2^255 −
// 19), not of low order (X25519 with it would give the all-zero output, so
// shares sealed to it would be readable by anyone).
func CheckX25519PublicKey(b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("an X25519 public key is 32 bytes, not %d", len(b))
	}
	if b[31]&0x80 != 0 {
		return errors.New("HPKE X25519 public key not in canonical encoding (the top bit of its last byte is set)")
	}
	if b[31] == 0x7f && b[0] >= 0xed && bytes.Count(b[1:31], []byte{0xff}) == 30 {
		return errors.New("HPKE X25519 public key not in canonical encoding (u ≥ 2^255 − 19)")
	}
	pub, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return fmt.Errorf("not a valid HPKE X25519 public key: %w", err)
	}
	if _, err := lowOrderProbe.ECDH(pub); err != nil {
		return errors.New("an HPKE X25519 public key of low order: shares sealed to it would be readable by anyone")
	}
	return nil
}

package crypto

import (
	"bytes"
	"errors"
	"testing"
	"testing/quick"
)

var testSolver = NewDlogSolver(1 << 20)

func decryptValue(t *testing.T, sk *PrivateKey, c *Ciphertext) uint64 {
	t.Helper()
	v, err := testSolver.Solve(sk.Decrypt(c))
	if err != nil {
		t.Fatalf("Solve(Decrypt) = %v", err)
	}
	return v
}

func TestElGamalRoundTrip(t *testing.T) {
	sk := GenerateKey()
	pk := sk.PublicKey()
	for _, v := range []uint64{0, 1, 2, 3, 100, 1 << 20} {
		c, r := pk.Encrypt(v)
		if got := decryptValue(t, sk, c); got != v {
			t.Errorf("Decrypt(Encrypt(%d)) = %d", v, got)
		}
		// A = r·G and B = v·G + r·K.
		if c.A.Equal(NewElement().ScalarBaseMult(r)) != 1 {
			t.Error("A ≠ r·G")
		}
		vG := NewElement().ScalarBaseMult(NewScalar().SetUint64(v))
		if c.B.Equal(NewElement().Add(vG, NewElement().ScalarMult(r, pk.Element()))) != 1 {
			t.Error("B ≠ v·G + r·K")
		}
		// Encoding round trip.
		d, err := new(Ciphertext).SetBytes(c.Bytes())
		if err != nil || d.Equal(c) != 1 || !bytes.Equal(d.Bytes(), c.Bytes()) || len(c.Bytes()) != CiphertextSize {
			t.Errorf("SetBytes(Bytes()) = %v", err)
		}
		if !bytes.Equal(c.Bytes(), append(c.A.Bytes(), c.B.Bytes()...)) {
			t.Error("Bytes() ≠ A || B")
		}
	}
	// A wrong key does not decrypt.
	c, _ := pk.Encrypt(7)
	if v, err := testSolver.Solve(GenerateKey().Decrypt(c)); err == nil && v == 7 {
		t.Error("another key decrypted the ciphertext")
	}
}

func TestElGamalHomomorphism(t *testing.T) {
	sk := GenerateKey()
	pk := sk.PublicKey()
	f := func(vs []uint16) bool {
		if len(vs) > 8 {
			vs = vs[:8]
		}
		sum := NewCiphertext()
		var want uint64
		for _, v := range vs {
			c, _ := pk.Encrypt(uint64(v))
			sum.Add(sum, c)
			want += uint64(v)
		}
		return decryptValue(t, sk, sum) == want
	}
	if err := quick.Check(f, quickConfig(20)); err != nil {
		t.Error(err)
	}
	// Randomness adds too: Enc(a; r) + Enc(b; s) = Enc(a+b; r+s).
	r, s := RandomScalar(), RandomScalar()
	sum := NewCiphertext().Add(pk.EncryptWithRandomness(3, r), pk.EncryptWithRandomness(4, s))
	if sum.Equal(pk.EncryptWithRandomness(7, NewScalar().Add(r, s))) != 1 {
		t.Error("Enc(3; r) + Enc(4; s) ≠ Enc(7; r+s)")
	}
	// Aliasing and the neutral element.
	c := pk.EncryptWithRandomness(5, r)
	d := NewCiphertext().Set(c)
	if d.Add(d, d).Equal(pk.EncryptWithRandomness(10, NewScalar().Add(r, r))) != 1 {
		t.Error("c.Add(c, c) ≠ Enc(10; 2r)")
	}
	if NewCiphertext().Add(c, NewCiphertext()).Equal(c) != 1 {
		t.Error("c + NewCiphertext() ≠ c")
	}
	if decryptValue(t, sk, NewCiphertext()) != 0 {
		t.Error("NewCiphertext() does not decrypt to 0")
	}
}

func TestCiphertextSubtract(t *testing.T) {
	sk := GenerateKey()
	pk := sk.PublicKey()
	// Round trip: (x + y) − y = x, for any ciphertexts, as a re-vote takes a
	// superseded ballot back out of the sums.
	f := func(a, b uint16) bool {
		x, _ := pk.Encrypt(uint64(a))
		y, _ := pk.Encrypt(uint64(b))
		sum := NewCiphertext().Add(x, y)
		if decryptValue(t, sk, sum) != uint64(a)+uint64(b) {
			return false
		}
		return NewCiphertext().Subtract(sum, y).Equal(x) == 1
	}
	if err := quick.Check(f, quickConfig(20)); err != nil {
		t.Error(err)
	}
	// Randomness subtracts too: Enc(7; r) − Enc(4; s) = Enc(3; r−s).
	r, s := RandomScalar(), RandomScalar()
	diff := NewCiphertext().Subtract(pk.EncryptWithRandomness(7, r), pk.EncryptWithRandomness(4, s))
	if diff.Equal(pk.EncryptWithRandomness(3, NewScalar().Subtract(r, s))) != 1 {
		t.Error("Enc(7; r) − Enc(4; s) ≠ Enc(3; r−s)")
	}
	// Aliasing and the neutral element.
	c := pk.EncryptWithRandomness(5, r)
	if d := NewCiphertext().Set(c); d.Subtract(d, d).Equal(NewCiphertext()) != 1 {
		t.Error("c.Subtract(c, c) ≠ NewCiphertext()")
	}
	if d := NewCiphertext().Set(c); d.Subtract(d, NewCiphertext()).Equal(c) != 1 {
		t.Error("c − NewCiphertext() ≠ c")
	}
	y := pk.EncryptWithRandomness(2, s)
	if d := NewCiphertext().Set(y); d.Subtract(c, d).Equal(pk.EncryptWithRandomness(3, NewScalar().Subtract(r, s))) != 1 {
		t.Error("y.Subtract(c, y) ≠ Enc(3; r−s)")
	}
}

func TestCiphertextVarTimeMultiply(t *testing.T) {
	sk := GenerateKey()
	pk := sk.PublicKey()
	// w·Enc(v; r) = Enc(w·v; w·r): a weighted tally multiplies a ballot's
	// ciphertexts by the voter's weight.
	f := func(v uint8, w uint32) bool {
		w %= 1 << 21
		r := RandomScalar()
		got := NewCiphertext().VarTimeMultiply(uint64(w), pk.EncryptWithRandomness(uint64(v), r))
		want := pk.EncryptWithRandomness(uint64(v)*uint64(w), NewScalar().Multiply(NewScalar().SetUint64(uint64(w)), r))
		return got.Equal(want) == 1
	}
	if err := quick.Check(f, quickConfig(20)); err != nil {
		t.Error(err)
	}
	for _, w := range []uint64{0, 1, 2, 3, 1 << 20, 1000000, 1<<63 + 1} {
		r := RandomScalar()
		x := pk.EncryptWithRandomness(3, r)
		ws := NewScalar().SetUint64(w)
		want := new(Ciphertext)
		want.A.ScalarMult(ws, &x.A)
		want.B.ScalarMult(ws, &x.B)
		if got := NewCiphertext().VarTimeMultiply(w, x); got.Equal(want) != 1 {
			t.Errorf("VarTimeMultiply(%d) ≠ the scalar multiplication by %d", w, w)
		}
		// Aliasing: c.VarTimeMultiply(w, c).
		if x.VarTimeMultiply(w, x).Equal(want) != 1 {
			t.Errorf("c.VarTimeMultiply(%d, c) ≠ the scalar multiplication", w)
		}
	}
	if decryptValue(t, sk, NewCiphertext().VarTimeMultiply(1000, pk.EncryptWithRandomness(7, RandomScalar()))) != 7000 {
		t.Error("1000·Enc(7) does not decrypt to 7000")
	}
}

func TestElGamalRerandomize(t *testing.T) {
	sk := GenerateKey()
	pk := sk.PublicKey()
	c, r := pk.Encrypt(9)
	d, s := new(Ciphertext).Rerandomize(pk, c)
	if bytes.Equal(c.Bytes(), d.Bytes()) || d.Equal(c) == 1 {
		t.Error("Rerandomize did not change the ciphertext")
	}
	if got := decryptValue(t, sk, d); got != 9 {
		t.Errorf("Decrypt(Rerandomize(Enc(9))) = %d", got)
	}
	if d.Equal(pk.EncryptWithRandomness(9, NewScalar().Add(r, s))) != 1 {
		t.Error("Rerandomize ≠ Enc(9; r + s)")
	}
	// In place.
	e := NewCiphertext().Set(c)
	e.Rerandomize(pk, e)
	if decryptValue(t, sk, e) != 9 || e.Equal(c) == 1 {
		t.Error("in-place Rerandomize is wrong")
	}
}

func TestEncryptWithRandomnessDeterministic(t *testing.T) {
	pk := GenerateKey().PublicKey()
	r := RandomScalar()
	a := pk.EncryptWithRandomness(12, r)
	b := pk.EncryptWithRandomness(12, NewScalar().Set(r))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("EncryptWithRandomness is not deterministic")
	}
	if bytes.Equal(a.Bytes(), pk.EncryptWithRandomness(13, r).Bytes()) {
		t.Error("different values give the same ciphertext")
	}
	// r = 0 encrypts in the clear: (0, v·G). It is valid but callers must
	// never use it; Encrypt draws r from crypto/rand.
	z := pk.EncryptWithRandomness(1, NewScalar())
	if z.A.IsIdentity() != 1 || z.B.Equal(NewGeneratorElement()) != 1 {
		t.Error("Enc(1; 0) ≠ (0, G)")
	}
	// A fresh Encrypt uses fresh randomness.
	c1, _ := pk.Encrypt(1)
	c2, _ := pk.Encrypt(1)
	if c1.Equal(c2) == 1 {
		t.Error("two Encrypt calls gave the same ciphertext")
	}
}

func TestPublicKeyEncoding(t *testing.T) {
	sk := GenerateKey()
	b := sk.PublicKey().Bytes()
	pk, err := NewPublicKey(b)
	if err != nil || !bytes.Equal(pk.Bytes(), b) || !pk.Equal(sk.PublicKey()) {
		t.Fatalf("NewPublicKey(Bytes()) = %v", err)
	}
	if pk.Element().Equal(NewElement().ScalarBaseMult(sk.Scalar())) != 1 {
		t.Error("public key ≠ x·G")
	}
	// Element returns a copy.
	pk.Element().Add(NewGeneratorElement(), NewGeneratorElement())
	if !bytes.Equal(pk.Bytes(), b) {
		t.Error("Element() aliases the key")
	}
	// Bytes returns a copy.
	pk.Bytes()[0] ^= 1
	if !bytes.Equal(pk.Bytes(), b) {
		t.Error("Bytes() aliases the key")
	}
	var bad [][]byte
	bad = append(bad, make([]byte, 32), nil, b[:31], append(append([]byte(nil), b...), 0))
	bad = append(bad, invalidElementVectors(t)...)
	for _, in := range bad {
		if pk, err := NewPublicKey(in); pk != nil || !errors.Is(err, ErrInvalidEncoding) {
			t.Errorf("NewPublicKey(%x) = %v, %v, want ErrInvalidEncoding", in, pk, err)
		}
	}
	if _, err := PublicKeyFromElement(NewElement()); !errors.Is(err, ErrInvalidEncoding) {
		t.Errorf("PublicKeyFromElement(identity) = %v", err)
	}
	if pk.Equal(GenerateKey().PublicKey()) {
		t.Error("two random keys are Equal")
	}
}

func TestPrivateKey(t *testing.T) {
	if sk, err := NewPrivateKey(NewScalar()); err == nil || sk != nil {
		t.Error("NewPrivateKey(0) succeeded")
	}
	x := RandomScalar()
	sk, err := NewPrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	if sk.Scalar().Equal(x) != 1 {
		t.Error("Scalar() ≠ x")
	}
	// Scalar returns a copy; the key is unaffected by changes to x.
	sk.Scalar().Add(x, x)
	x.SetUint64(1)
	if sk.PublicKey().Element().Equal(NewElement().ScalarBaseMult(sk.Scalar())) != 1 {
		t.Error("the key changed with its input or output scalar")
	}
}

func TestCiphertextSetBytes(t *testing.T) {
	pk := GenerateKey().PublicKey()
	c, _ := pk.Encrypt(5)
	enc := c.Bytes()
	invalid := invalidElementVectors(t)[0]
	for name, in := range map[string][]byte{
		"empty":           nil,
		"short":           enc[:63],
		"long":            append(append([]byte(nil), enc...), 0),
		"A invalid":       append(append([]byte(nil), invalid...), enc[32:]...),
		"B invalid":       append(append([]byte(nil), enc[:32]...), invalid...),
		"A top bit":       func() []byte { b := append([]byte(nil), enc...); b[31] |= 0x80; return b }(),
		"B top bit":       func() []byte { b := append([]byte(nil), enc...); b[63] |= 0x80; return b }(),
		"all ff":          bytes.Repeat([]byte{0xff}, 64),
		"A non-canonical": append(bytes.Repeat([]byte{0xff}, 31), append([]byte{0x7f}, enc[32:]...)...),
	} {
		d := NewCiphertext().Set(c)
		if r, err := d.SetBytes(in); r != nil || !errors.Is(err, ErrInvalidEncoding) {
			t.Errorf("SetBytes(%s) = %v, %v, want ErrInvalidEncoding", name, r, err)
		}
		if d.Equal(c) != 1 {
			t.Errorf("failed SetBytes(%s) changed the receiver", name)
		}
	}
	// The identity is allowed in ciphertexts: NewCiphertext encodes as zeros.
	z, err := new(Ciphertext).SetBytes(make([]byte, 64))
	if err != nil || z.Equal(NewCiphertext()) != 1 {
		t.Errorf("SetBytes(zeros) = %v", err)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	pk := GenerateKey().PublicKey()
	pk.Table()
	b.ReportAllocs()
	for b.Loop() {
		pk.Encrypt(1)
	}
}

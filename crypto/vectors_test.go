package crypto_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
)

// Test vectors for the proofs, in crypto/testdata/proofs.txt. They are
// produced by the derandomized provers of package cryptotest from the seeds
// they list; "go test ./crypto -run TestProofVectors -update" rewrites the
// file.

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden test vector files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const proofVectorsPath = "testdata/proofs.txt"

const proofVectorsHeader = `# Proof test vectors for docs/spec/crypto-proofs.md.
#
# Blocks of "key: value" lines separated by blank lines; one runner,
# TestProofVectors in vectors_test.go; regenerate with -update. Randomness
# comes from cryptotest.NewReader(seed) = SHAKE128(seed), drawn 64 bytes at
# a time and reduced mod ℓ: the secret key, then r (range), then the
# nonces in the order of the spec. Keys:
#   kind:     schnorr | dleq | range
#   seed:     the random stream
#   ctx:      hex context bound into the proof
#   x:        (schnorr, dleq) secret scalar, hex little-endian
#   X, g, h, Y: (schnorr: X; dleq: all) statement elements, hex
#   pk:       (range) public key K
#   v, lo, hi: (range) value and range
#   r:        (range) encryption randomness
#   ciphertext: (range) A || B
#   proof:    the proof encoding
#   expect:   success | invalid-proof | invalid-encoding
#   note:     what a failing vector changes
`

type vecWriter struct{ bytes.Buffer }

func (w *vecWriter) kv(k string, v any) {
	switch v := v.(type) {
	case []byte:
		fmt.Fprintf(w, "%s: %x\n", k, v)
	default:
		fmt.Fprintf(w, "%s: %v\n", k, v)
	}
}

func (w *vecWriter) end() { w.WriteString("\n") }

// generateProofVectors returns the contents of testdata/proofs.txt.
func generateProofVectors(t *testing.T) []byte {
	var w vecWriter
	w.WriteString(proofVectorsHeader)
	w.end()
	vctx := []byte("evote/v1 test vectors")

	for i := 0; i < 2; i++ {
		seed := fmt.Sprintf("schnorr %d", i)
		rnd := cryptotest.NewReader([]byte(seed))
		sk := cryptotest.GenerateKey(rnd)
		X := sk.PublicKey().Element()
		p := cryptotest.ProveSchnorr(vctx, sk.Scalar(), X, rnd)
		w.kv("kind", "schnorr")
		w.kv("seed", seed)
		w.kv("ctx", vctx)
		w.kv("x", sk.Scalar().Bytes())
		w.kv("X", X.Bytes())
		w.kv("proof", p.Bytes())
		w.kv("expect", "success")
		w.end()
		if i == 1 {
			w.kv("kind", "schnorr")
			w.kv("seed", seed)
			w.kv("ctx", []byte("another context"))
			w.kv("X", X.Bytes())
			w.kv("proof", p.Bytes())
			w.kv("expect", "invalid-proof")
			w.kv("note", "ctx differs from the proof's")
			w.end()
			bad := p.Bytes()
			copy(bad[32:], l)
			w.kv("kind", "schnorr")
			w.kv("seed", seed)
			w.kv("ctx", vctx)
			w.kv("X", X.Bytes())
			w.kv("proof", bad)
			w.kv("expect", "invalid-encoding")
			w.kv("note", "z = ℓ, not reduced")
			w.end()
		}
	}

	for i := 0; i < 2; i++ {
		seed := fmt.Sprintf("dleq %d", i)
		rnd := cryptotest.NewReader([]byte(seed))
		sk := cryptotest.GenerateKey(rnd)
		x := sk.Scalar()
		g := crypto.NewGeneratorElement()
		X := sk.PublicKey().Element()
		h := crypto.HashToElement("evote/v1/test/dleq-base", []byte(seed))
		Y := crypto.NewElement().ScalarMult(x, h)
		p := cryptotest.ProveDLEQ(vctx, x, g, X, h, Y, rnd)
		block := func(Y *crypto.Element, expect, note string) {
			w.kv("kind", "dleq")
			w.kv("seed", seed)
			w.kv("ctx", vctx)
			if expect == "success" {
				w.kv("x", x.Bytes())
			}
			w.kv("g", g.Bytes())
			w.kv("X", X.Bytes())
			w.kv("h", h.Bytes())
			w.kv("Y", Y.Bytes())
			w.kv("proof", p.Bytes())
			w.kv("expect", expect)
			if note != "" {
				w.kv("note", note)
			}
			w.end()
		}
		block(Y, "success", "")
		if i == 1 {
			block(crypto.NewElement().Add(Y, h), "invalid-proof", "Y replaced by Y + h")
		}
	}

	for _, tc := range []struct{ v, lo, hi uint64 }{{0, 0, 1}, {1, 0, 1}, {0, 0, 0}, {3, 1, 5}, {7, 7, 9}} {
		seed := fmt.Sprintf("range %d in [%d, %d]", tc.v, tc.lo, tc.hi)
		rnd := cryptotest.NewReader([]byte(seed))
		sk := cryptotest.GenerateKey(rnd)
		pk := sk.PublicKey()
		ct, r := cryptotest.Encrypt(pk, tc.v, rnd)
		p, err := cryptotest.ProveRange(vctx, pk, ct, tc.v, r, tc.lo, tc.hi, rnd)
		if err != nil {
			t.Fatal(err)
		}
		block := func(lo, hi uint64, proof []byte, expect, note string) {
			w.kv("kind", "range")
			w.kv("seed", seed)
			w.kv("ctx", vctx)
			w.kv("pk", pk.Bytes())
			if expect == "success" {
				w.kv("v", tc.v)
				w.kv("r", r.Bytes())
			}
			w.kv("lo", lo)
			w.kv("hi", hi)
			w.kv("ciphertext", ct.Bytes())
			w.kv("proof", proof)
			w.kv("expect", expect)
			if note != "" {
				w.kv("note", note)
			}
			w.end()
		}
		block(tc.lo, tc.hi, p.Bytes(), "success", "")
		if tc.v == 1 && tc.hi == 1 {
			block(tc.lo+1, tc.hi+1, p.Bytes(), "invalid-proof", "range shifted to [1, 2]")
			bad := p.Bytes()
			copy(bad[64:96], l)
			block(tc.lo, tc.hi, bad, "invalid-encoding", "z_0 = ℓ, not reduced")
			bad = p.Bytes()
			copy(bad[0:32], bad[96:128])
			block(tc.lo, tc.hi, bad, "invalid-proof", "a_0 replaced by a_1")
		}
	}

	// A prover lying about v: the ciphertext encrypts 2, the proof is
	// built as if v = 1 ∈ [0, 1].
	seed := "range lie"
	rnd := cryptotest.NewReader([]byte(seed))
	pk := cryptotest.GenerateKey(rnd).PublicKey()
	ct, r := cryptotest.Encrypt(pk, 2, rnd)
	p, err := cryptotest.ProveRange(vctx, pk, ct, 1, r, 0, 1, rnd)
	if err != nil {
		t.Fatal(err)
	}
	w.kv("kind", "range")
	w.kv("seed", seed)
	w.kv("ctx", vctx)
	w.kv("pk", pk.Bytes())
	w.kv("lo", 0)
	w.kv("hi", 1)
	w.kv("ciphertext", ct.Bytes())
	w.kv("proof", p.Bytes())
	w.kv("expect", "invalid-proof")
	w.kv("note", "the ciphertext encrypts 2; the prover claimed v = 1")
	w.end()
	return bytes.TrimSuffix(w.Bytes(), []byte("\n"))
}

// l is ℓ, little-endian.
var l = func() []byte {
	b, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	return b
}()

func TestProofVectors(t *testing.T) {
	want := generateProofVectors(t)
	if updateGolden() {
		if err := os.WriteFile(proofVectorsPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(proofVectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output of the cryptotest provers; run with -update if the change is intended", proofVectorsPath)
	}
	blocks := parseVectorBlocks(t, got)
	if len(blocks) < 10 {
		t.Fatalf("only %d vectors", len(blocks))
	}
	for i, v := range blocks {
		t.Run(fmt.Sprintf("%d/%s/%s", i, v["kind"], v["expect"]), func(t *testing.T) {
			runProofVector(t, v)
		})
	}
}

func parseVectorBlocks(t testing.TB, data []byte) []map[string]string {
	var blocks []map[string]string
	cur := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line == "" {
			if len(cur) > 0 {
				blocks = append(blocks, cur)
				cur = map[string]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		cur[k] = v
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	return blocks
}

func runProofVector(t *testing.T, v map[string]string) {
	hx := func(k string) []byte {
		b, err := hex.DecodeString(v[k])
		if err != nil || v[k] == "" {
			t.Fatalf("bad %s: %q", k, v[k])
		}
		return b
	}
	el := func(k string) *crypto.Element {
		e, err := crypto.NewElement().SetCanonicalBytes(hx(k))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return e
	}
	num := func(k string) uint64 {
		n, err := strconv.ParseUint(v[k], 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return n
	}
	vctx := hx("ctx")
	var err error
	var reproduced []byte // the proof re-derived by crypto's own prover
	switch v["kind"] {
	case "schnorr":
		X := el("X")
		var p crypto.SchnorrProof
		if _, err = p.SetBytes(hx("proof")); err == nil {
			err = crypto.VerifySchnorr(vctx, X, &p)
		}
		if v["expect"] == "success" {
			rnd := cryptotest.NewReader([]byte(v["seed"]))
			x := cryptotest.GenerateKey(rnd).Scalar()
			if !bytes.Equal(x.Bytes(), hx("x")) {
				t.Fatal("x does not follow from the seed")
			}
			reproduced = crypto.ProveSchnorrFrom(rnd, vctx, x, X).Bytes()
		}
	case "dleq":
		g, X, h, Y := el("g"), el("X"), el("h"), el("Y")
		var p crypto.DLEQProof
		if _, err = p.SetBytes(hx("proof")); err == nil {
			err = crypto.VerifyDLEQ(vctx, g, X, h, Y, &p)
		}
		if v["expect"] == "success" {
			rnd := cryptotest.NewReader([]byte(v["seed"]))
			x := cryptotest.GenerateKey(rnd).Scalar()
			reproduced = crypto.ProveDLEQFrom(rnd, vctx, x, g, X, h, Y).Bytes()
		}
	case "range":
		pk, perr := crypto.NewPublicKey(hx("pk"))
		if perr != nil {
			t.Fatal(perr)
		}
		ct, cerr := crypto.NewCiphertext().SetBytes(hx("ciphertext"))
		if cerr != nil {
			t.Fatal(cerr)
		}
		lo, hi := num("lo"), num("hi")
		var p crypto.RangeProof
		if _, err = p.SetBytes(hx("proof")); err == nil {
			err = crypto.VerifyRange(vctx, pk, ct, lo, hi, &p)
		}
		if v["expect"] == "success" {
			rnd := cryptotest.NewReader([]byte(v["seed"]))
			cryptotest.GenerateKey(rnd)
			val := num("v")
			r := cryptotest.Scalar(rnd)
			if !bytes.Equal(r.Bytes(), hx("r")) || pk.EncryptWithRandomness(val, r).Equal(ct) != 1 {
				t.Fatal("ciphertext does not follow from the seed")
			}
			q, perr := crypto.ProveRangeFrom(rnd, vctx, pk, ct, val, r, lo, hi)
			if perr != nil {
				t.Fatal(perr)
			}
			reproduced = q.Bytes()
		}
	default:
		t.Fatalf("unknown kind %q", v["kind"])
	}
	switch v["expect"] {
	case "success":
		if err != nil {
			t.Fatalf("valid vector rejected: %v", err)
		}
		if !bytes.Equal(reproduced, hx("proof")) {
			t.Fatalf("crypto's prover gives %x, want %s", reproduced, v["proof"])
		}
	case "invalid-proof":
		if !errors.Is(err, crypto.ErrInvalidProof) {
			t.Fatalf("error = %v, want ErrInvalidProof", err)
		}
	case "invalid-encoding":
		if !errors.Is(err, crypto.ErrInvalidEncoding) {
			t.Fatalf("error = %v, want ErrInvalidEncoding", err)
		}
	default:
		t.Fatalf("unknown expect %q", v["expect"])
	}
}

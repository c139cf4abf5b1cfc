package tally_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

// encodingFixture returns an honest partial decryption of 2 positions and
// a result with one rejection.
func encodingFixture(t testing.TB) (*tally.PartialDecryption, *tally.Result) {
	e := newTestElection(t, 2, 3)
	acc, _ := e.testBallots(t, 5, 4, 2, 1)
	sums := acc.Sums()
	ps := e.partials(t, sums, 1, 2, 3)
	ps[0].Shares[1] = randomElement()
	r, err := tally.Combine(e.ctx, 2, sums, e.vks, ps, crypto.NewDlogSolver(10))
	if err != nil {
		t.Fatal(err)
	}
	return ps[1], r
}

func TestPartialDecryptionEncoding(t *testing.T) {
	p, _ := encodingFixture(t)
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	want := `{"version":"evote/v1/tally/partial-decryption","trustee":2,"shares":["` +
		b64(p.Shares[0].Bytes()) + `","` + b64(p.Shares[1].Bytes()) + `"],"proofs":["` +
		b64(p.Proofs[0].Bytes()) + `","` + b64(p.Proofs[1].Bytes()) + `"]}`
	if string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	q, err := tally.ParsePartialDecryption(b)
	if err != nil {
		t.Fatal(err)
	}
	if q.Trustee != 2 || len(q.Shares) != 2 || len(q.Proofs) != 2 {
		t.Fatalf("parsed %+v", q)
	}
	for k := range 2 {
		if q.Shares[k].Equal(p.Shares[k]) != 1 || !bytes.Equal(q.Proofs[k].Bytes(), p.Proofs[k].Bytes()) {
			t.Errorf("position %d does not round trip", k)
		}
	}

	// json.Marshal and json.Unmarshal use the same encoding, also nested.
	type wrapper struct {
		P *tally.PartialDecryption `json:"p"`
	}
	nb, err := json.Marshal(wrapper{p})
	if err != nil || string(nb) != `{"p":`+want+`}` {
		t.Errorf("json.Marshal(wrapper) = %s, %v", nb, err)
	}
	var w wrapper
	if err := json.Unmarshal(nb, &w); err != nil || w.P.Trustee != 2 {
		t.Errorf("json.Unmarshal(wrapper) = %v", err)
	}
	if vb, err := json.Marshal([]tally.PartialDecryption{*p}); err != nil || string(vb) != "["+want+"]" {
		t.Errorf("json.Marshal(value) = %s, %v", vb, err)
	}
	orig := clonePartial(p)
	if err := p.UnmarshalJSON([]byte(`{}`)); err == nil {
		t.Error("UnmarshalJSON({}) succeeded")
	}
	if p.Trustee != orig.Trustee || len(p.Shares) != len(orig.Shares) {
		t.Error("failed UnmarshalJSON changed the receiver")
	}

	// Marshal refuses malformed values.
	for name, bad := range map[string]*tally.PartialDecryption{
		"trustee 0": {Trustee: 0, Shares: p.Shares, Proofs: p.Proofs},
		"empty":     {Trustee: 1},
		"uneven":    {Trustee: 1, Shares: p.Shares, Proofs: p.Proofs[:1]},
		"nil share": {Trustee: 1, Shares: []*crypto.Element{nil}, Proofs: p.Proofs[:1]},
		"nil proof": {Trustee: 1, Shares: p.Shares[:1], Proofs: []*crypto.DLEQProof{nil}},
	} {
		if _, err := bad.Marshal(); err == nil {
			t.Errorf("Marshal(%s) succeeded", name)
		}
	}

	testMangling(t, b, func(b []byte) ([]byte, error) {
		p, err := tally.ParsePartialDecryption(b)
		if err != nil {
			return nil, err
		}
		return p.Marshal()
	})

	// Specific malformed inputs, each from the valid one.
	share0, proof0 := b64(p.Shares[0].Bytes()), b64(p.Proofs[0].Bytes())
	nonCanonical := make([]byte, 32)
	nonCanonical[0] = 1 // s = 1 is negative
	high := bytes.Repeat([]byte{0xff}, 32)
	high[31] = 0x7f // ≥ p
	shortProof := b64(p.Proofs[0].Bytes()[:95])
	badProof := p.Proofs[0].Bytes()
	copy(badProof[:32], nonCanonical)
	tests := []struct{ name, from, to string }{
		{"version", "partial-decryption", "partial-decryptioN"},
		{"no version", `"version":"evote/v1/tally/partial-decryption",`, ``},
		{"trustee 0", `"trustee":2`, `"trustee":0`},
		{"trustee negative", `"trustee":2`, `"trustee":-2`},
		{"trustee too big", `"trustee":2`, `"trustee":4294967298`},
		{"trustee leading zero", `"trustee":2`, `"trustee":02`},
		{"trustee float", `"trustee":2`, `"trustee":2.0`},
		{"trustee string", `"trustee":2`, `"trustee":"2"`},
		{"key case", `"trustee"`, `"Trustee"`},
		{"unknown field", `"trustee":2,`, `"trustee":2,"extra":1,`},
		{"duplicate field", `"trustee":2,`, `"trustee":1,"trustee":2,`},
		{"fields reordered", `"trustee":2,"shares"`, `"shares"`},
		{"space", `"trustee":2`, `"trustee": 2`},
		{"escaped character", `"version":"evote`, `"version":"\u0065vote`},
		{"unpadded base64", share0, strings.TrimRight(share0, "=")},
		{"url base64", share0, strings.NewReplacer("+", "-", "/", "_").Replace(share0) + "x"},
		{"newline in base64", share0, share0[:10] + `\n` + share0[10:]},
		{"negative element", share0, b64(nonCanonical)},
		{"unreduced element", share0, b64(high)},
		{"short share", share0, b64(p.Shares[0].Bytes()[:31])},
		{"short proof", proof0, shortProof},
		{"non-canonical proof", proof0, b64(badProof)},
		{"one share too few", `"shares":["` + share0 + `",`, `"shares":[`},
		{"no shares", `"shares":["` + share0 + `","` + b64(p.Shares[1].Bytes()) + `"]`, `"shares":[]`},
		{"null shares", `"shares":["` + share0 + `","` + b64(p.Shares[1].Bytes()) + `"]`, `"shares":null`},
		{"trailing data", `]}`, `]}{}`},
		{"trailing newline", `]}`, "]}\n"},
		{"leading space", `{"version"`, ` {"version"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(string(b), tt.from, tt.to, 1)
			if in == string(b) {
				t.Fatalf("replacement %q not found", tt.from)
			}
			if _, err := tally.ParsePartialDecryption([]byte(in)); !errors.Is(err, tally.ErrInvalidEncoding) {
				t.Errorf("ParsePartialDecryption(%s) = %v, want ErrInvalidEncoding", in, err)
			}
		})
	}
}

func TestResultEncoding(t *testing.T) {
	_, r := encodingFixture(t)
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	want := `{"version":"evote/v1/tally/result","counts":[` +
		u64(r.Counts[0]) + `,` + u64(r.Counts[1]) + `],"trustees":[2,3],"rejected":[{"trustee":1,"reason":"invalid proof at position 1"}],"combined":["` +
		b64(r.Combined[0].Bytes()) + `","` + b64(r.Combined[1].Bytes()) + `"]}`
	if string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	q, err := tally.ParseResult(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.Counts, r.Counts) || !slices.Equal(q.Trustees, r.Trustees) || !slices.Equal(q.Rejected, r.Rejected) ||
		q.Combined[0].Equal(r.Combined[0]) != 1 || q.Combined[1].Equal(r.Combined[1]) != 1 {
		t.Errorf("ParseResult = %+v, want %+v", q, r)
	}

	// No rejection encodes as [], not null.
	r0 := cloneResult(r)
	r0.Rejected = nil
	b0, err := r0.Marshal()
	if err != nil || !strings.Contains(string(b0), `"rejected":[]`) {
		t.Errorf("Marshal without rejections = %s, %v", b0, err)
	}
	if _, err := tally.ParseResult(b0); err != nil {
		t.Error(err)
	}
	if _, err := tally.ParseResult([]byte(strings.Replace(string(b0), `"rejected":[]`, `"rejected":null`, 1))); err == nil {
		t.Error(`"rejected":null accepted`)
	}

	var got tally.Result
	if err := json.Unmarshal(b, &got); err != nil || !slices.Equal(got.Counts, r.Counts) {
		t.Errorf("json.Unmarshal = %v", err)
	}
	if vb, err := json.Marshal(*r); err != nil || !bytes.Equal(vb, b) {
		t.Errorf("json.Marshal(Result value) = %s, %v, want %s", vb, err, b)
	}

	testMangling(t, b, func(b []byte) ([]byte, error) {
		r, err := tally.ParseResult(b)
		if err != nil {
			return nil, err
		}
		return r.Marshal()
	})

	tests := []struct{ name, from, to string }{
		{"version", "tally/result", "tally/resulT"},
		{"count missing", `"counts":[` + u64(r.Counts[0]) + `,`, `"counts":[`},
		{"count negative", `"counts":[`, `"counts":[-`},
		{"count exponent", `"counts":[` + u64(r.Counts[0]), `"counts":[` + u64(r.Counts[0]) + `e0`},
		{"trustees not increasing", `"trustees":[2,3]`, `"trustees":[3,2]`},
		{"trustees repeated", `"trustees":[2,3]`, `"trustees":[2,2]`},
		{"trustee 0", `"trustees":[2,3]`, `"trustees":[0,3]`},
		{"no trustees", `"trustees":[2,3]`, `"trustees":[]`},
		{"unknown reason", "invalid proof at position 1", "bad proof"},
		{"reason with leading zero", "invalid proof at position 1", "invalid proof at position 01"},
		{"reason with sign", "invalid proof at position 1", "invalid proof at position +1"},
		{"reason too big", "invalid proof at position 1", "invalid proof at position 4294967296"},
		{"rejection extra field", `"reason":`, `"position":1,"reason":`},
		{"combined missing", `"combined":["` + b64(r.Combined[0].Bytes()) + `",`, `"combined":[`},
		{"space", `"counts":`, `"counts": `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(string(b), tt.from, tt.to, 1)
			if in == string(b) {
				t.Fatalf("replacement %q not found", tt.from)
			}
			if _, err := tally.ParseResult([]byte(in)); !errors.Is(err, tally.ErrInvalidEncoding) {
				t.Errorf("ParseResult(%s) = %v, want ErrInvalidEncoding", in, err)
			}
		})
	}
	// Valid reasons are accepted.
	for _, reason := range []string{"unknown trustee", "wrong length", "duplicate trustee", "invalid proof at position 0", "invalid proof at position 4294967295"} {
		in := strings.Replace(string(b), "invalid proof at position 1", reason, 1)
		if _, err := tally.ParseResult([]byte(in)); err != nil {
			t.Errorf("reason %q: %v", reason, err)
		}
	}
}

func u64(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// testMangling checks that every truncation and extension of the canonical
// encoding b is rejected, and that every single-byte change is either
// rejected or is itself canonical: parse then marshal returns it.
func testMangling(t *testing.T, b []byte, roundTrip func([]byte) ([]byte, error)) {
	t.Helper()
	for i := range len(b) {
		if _, err := roundTrip(b[:i]); err == nil {
			t.Errorf("truncation to %d bytes accepted", i)
		}
	}
	for _, ext := range []string{" ", "\n", "{}", "0", "\x00", "]"} {
		if _, err := roundTrip(append(slices.Clone(b), ext...)); err == nil {
			t.Errorf("extension by %q accepted", ext)
		}
	}
	accepted := 0
	for i := range len(b) {
		for _, d := range []byte{0x01, 0x02, 0x20, 0x80} {
			m := slices.Clone(b)
			m[i] ^= d
			out, err := roundTrip(m)
			if err != nil {
				if !errors.Is(err, tally.ErrInvalidEncoding) {
					t.Errorf("byte %d ^ %#x: error %v does not wrap ErrInvalidEncoding", i, d, err)
				}
				continue
			}
			accepted++
			if !bytes.Equal(out, m) {
				t.Errorf("byte %d ^ %#x accepted but not canonical: %s", i, d, m)
			}
		}
	}
	t.Logf("%d of %d single-byte changes give another canonical encoding", accepted, 4*len(b))
}

func FuzzParsePartialDecryption(f *testing.F) {
	p, r := encodingFixture(f)
	b, err := p.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	one := &tally.PartialDecryption{Trustee: 7, Shares: p.Shares[:1], Proofs: p.Proofs[:1]}
	b1, err := one.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b1)
	rb, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rb)
	f.Add([]byte(`{"version":"evote/v1/tally/partial-decryption","trustee":1,"shares":[],"proofs":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := tally.ParsePartialDecryption(b)
		if err != nil {
			if !errors.Is(err, tally.ErrInvalidEncoding) {
				t.Errorf("error %v does not wrap ErrInvalidEncoding", err)
			}
			if p != nil {
				t.Error("non-nil value with an error")
			}
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed value: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Errorf("parse then marshal = %s, want %s", out, b)
		}
	})
}

func FuzzParseResult(f *testing.F) {
	_, r := encodingFixture(f)
	b, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tally.ParseResult(b)
		if err != nil {
			if !errors.Is(err, tally.ErrInvalidEncoding) {
				t.Errorf("error %v does not wrap ErrInvalidEncoding", err)
			}
			return
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed value: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Errorf("parse then marshal = %s, want %s", out, b)
		}
	})
}

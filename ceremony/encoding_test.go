package ceremony_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
)

// sample is one valid encoding and the parser that accepts it.
type sample struct {
	name  string
	enc   []byte
	parse func([]byte) (any, error)
}

func asAny[M any](f func([]byte) (M, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return f(b) }
}

func mustMarshal(tb testing.TB, m marshaler) []byte {
	tb.Helper()
	b, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// samples runs a 2-of-3 ceremony with one complaint and returns an encoding
// of every message type.
func samples(tb testing.TB) []sample {
	r := newRun(tb, 2, 3)
	r.shs[0].Shares[0].Ct[5] ^= 1 // trustee 2 will complain against 1
	r.shs[0] = roundTrip(tb, r.shs[0], ceremony.ParseShares)
	share, accept := r.receive(tb, 3)
	_, reject := r.receive(tb, 2)
	jk, err := ceremony.ComputeJointKey(r.ctx, r.t, r.n, r.cms)
	if err != nil {
		tb.Fatal(err)
	}
	st := func(d *ceremony.DealerSecret, s *ceremony.TrusteeShare) []byte {
		return mustMarshal(tb, &ceremony.TrusteeState{Keys: r.keys[2], Dealer: d, Share: s})
	}
	return []sample{
		{"commitments", mustMarshal(tb, r.cms[1]), asAny(ceremony.ParseCommitments)},
		{"shares", mustMarshal(tb, r.shs[1]), asAny(ceremony.ParseShares)},
		{"verdict/accept", mustMarshal(tb, accept), asAny(ceremony.ParseVerdict)},
		{"verdict/reject", mustMarshal(tb, reject), asAny(ceremony.ParseVerdict)},
		{"joint key", mustMarshal(tb, jk), asAny(ceremony.ParseJointKey)},
		{"trustee public key", mustMarshal(tb, r.pubs[0]), asAny(ceremony.ParseTrusteePublicKey)},
		{"state/keys", st(nil, nil), asAny(ceremony.ParseTrusteeState)},
		{"state/dealer", st(r.dealers[2], nil), asAny(ceremony.ParseTrusteeState)},
		{"state/dealt", mustMarshal(tb, &ceremony.TrusteeState{Keys: r.keys[2], Dealer: r.dealers[2],
			Dealt: &ceremony.DealtMessages{Commitments: r.cms[2], Shares: r.shs[2]}}), asAny(ceremony.ParseTrusteeState)},
		{"state/share", st(nil, share), asAny(ceremony.ParseTrusteeState)},
	}
}

// reencode parses b and returns the re-encoding.
func reencode(s sample, b []byte) ([]byte, error) {
	m, err := s.parse(b)
	if err != nil {
		return nil, err
	}
	return m.(marshaler).Marshal()
}

// TestMangled checks that every truncation, extension and byte change of a
// valid encoding is rejected, unless the result is itself a valid, canonical
// encoding (for example a different trustee index or ciphertext byte), in
// which case it must round-trip exactly.
func TestMangled(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			if out, err := reencode(s, s.enc); err != nil || !bytes.Equal(out, s.enc) {
				t.Fatalf("valid encoding: Parse/Marshal = %s, %v", out, err)
			}
			for n := range len(s.enc) {
				if _, err := s.parse(s.enc[:n]); err == nil {
					t.Errorf("truncation to %d bytes accepted", n)
				} else if !errors.Is(err, ceremony.ErrMalformed) {
					t.Errorf("truncation to %d bytes: error %v does not wrap ErrMalformed", n, err)
				}
			}
			for _, ext := range []string{" ", "\n", "{}", "x", "\x00"} {
				if _, err := s.parse(append(bytes.Clone(s.enc), ext...)); err == nil {
					t.Errorf("extension by %q accepted", ext)
				}
			}
			accepted := 0
			for i := range s.enc {
				for _, x := range []byte{0x01, 0x20} {
					b := bytes.Clone(s.enc)
					b[i] ^= x
					out, err := reencode(s, b)
					if err != nil {
						if !errors.Is(err, ceremony.ErrMalformed) {
							t.Errorf("byte %d ^ %#x: error %v does not wrap ErrMalformed", i, x, err)
						}
						continue
					}
					accepted++
					if !bytes.Equal(out, b) {
						t.Errorf("byte %d ^ %#x accepted but re-encodes differently:\n%s\n%s", i, x, b, out)
					}
				}
			}
			t.Logf("%d of %d byte changes give another valid message", accepted, 2*len(s.enc))
		})
	}
}

// TestInvalidEncodings lists encodings rejected for a specific reason.
func TestInvalidEncodings(t *testing.T) {
	ss := samples(t)
	byName := map[string]sample{}
	for _, s := range ss {
		byName[s.name] = s
	}
	b64 := base64.StdEncoding.EncodeToString
	ctx := b64(testCtx)
	el := b64(crypto.NewGeneratorElement().Bytes())
	// A base64 string with non-zero padding bits: decodes to the same bytes.
	nonCanonB64 := func(b []byte) string {
		s := []byte(b64(b))
		s[len(s)-2]++ // 32 bytes: 44 chars ending in one '=', the last data char has 2 spare bits
		return string(s)
	}
	// ℓ, the group order: a non-canonical scalar.
	ell := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	tests := []struct {
		sample, name, mangled string
	}{
		{"verdict/accept", "unknown field", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":[],"x":1}`},
		{"verdict/accept", "missing field", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":true}`},
		{"verdict/accept", "null complaints", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":null}`},
		{"verdict/accept", "reordered", `{"ctx":"` + ctx + `","type":"evote/v1/ceremony/verdict","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "whitespace", `{"type": "evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "duplicate key", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "key case", `{"type":"evote/v1/ceremony/verdict","CTX":"` + ctx + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "escaped string", `{"type":"evote\/v1\/ceremony\/verdict","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "wrong type", `{"type":"evote/v1/ceremony/shares","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "trustee 0", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":0,"accept":true,"complaints":[]}`},
		{"verdict/accept", "trustee float", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3.0,"accept":true,"complaints":[]}`},
		{"verdict/accept", "trustee negative", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":-3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "trustee string", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":"3","accept":true,"complaints":[]}`},
		{"verdict/accept", "trustee beyond max", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":257,"accept":true,"complaints":[]}`},
		{"verdict/accept", "empty ctx", `{"type":"evote/v1/ceremony/verdict","ctx":"","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "long ctx", `{"type":"evote/v1/ceremony/verdict","ctx":"` + b64(make([]byte, 65)) + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "non-canonical base64", `{"type":"evote/v1/ceremony/verdict","ctx":"` + nonCanonB64(testCtx) + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "unpadded base64", `{"type":"evote/v1/ceremony/verdict","ctx":"` + strings.TrimRight(ctx, "=") + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "url base64", `{"type":"evote/v1/ceremony/verdict","ctx":"` + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)) + `","trustee":3,"accept":true,"complaints":[]}`},
		{"verdict/accept", "accept with complaints", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":true,"complaints":[{"against":1,"reason":"share"}]}`},
		{"verdict/accept", "reject without complaints", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":3,"accept":false,"complaints":[]}`},
		{"verdict/reject", "unknown reason", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"accept":false,"complaints":[{"against":1,"reason":"bad"}]}`},
		{"verdict/reject", "complaint against self", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"accept":false,"complaints":[{"against":2,"reason":"share"}]}`},
		{"verdict/reject", "complaints out of order", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"accept":false,"complaints":[{"against":3,"reason":"share"},{"against":1,"reason":"share"}]}`},
		{"verdict/reject", "duplicate complaint", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"accept":false,"complaints":[{"against":1,"reason":"share"},{"against":1,"reason":"decrypt"}]}`},
		{"verdict/reject", "complaint against 0", `{"type":"evote/v1/ceremony/verdict","ctx":"` + ctx + `","trustee":2,"accept":false,"complaints":[{"against":0,"reason":"share"}]}`},
		{"joint key", "identity public key", `{"type":"evote/v1/ceremony/joint-key","ctx":"` + ctx + `","public_key":"` + b64(make([]byte, 32)) + `","verification_keys":["` + el + `"]}`},
		{"joint key", "no verification keys", `{"type":"evote/v1/ceremony/joint-key","ctx":"` + ctx + `","public_key":"` + el + `","verification_keys":[]}`},
		{"joint key", "non-canonical element", `{"type":"evote/v1/ceremony/joint-key","ctx":"` + ctx + `","public_key":"` + el + `","verification_keys":["` + b64(bytes.Repeat([]byte{0xff}, 32)) + `"]}`},
		{"joint key", "short element", `{"type":"evote/v1/ceremony/joint-key","ctx":"` + ctx + `","public_key":"` + el + `","verification_keys":["` + b64(make([]byte, 31)) + `"]}`},
		{"joint key", "negative element", `{"type":"evote/v1/ceremony/joint-key","ctx":"` + ctx + `","public_key":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `","verification_keys":["` + el + `"]}`},
		{"trustee public key", "low-order enc key", `{"sign_key":"` + b64(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)) + `","enc_key":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `"}`},
		{"trustee public key", "enc key top bit", `{"sign_key":"` + b64(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)) + `","enc_key":"` + b64(setTopBit(x25519Pub(t))) + `"}`},
		{"trustee public key", "enc key ≥ p", `{"sign_key":"` + b64(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)) + `","enc_key":"` + b64(append([]byte{0xee}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...)) + `"}`},
		{"trustee public key", "sign key identity", `{"sign_key":"` + b64(append([]byte{1}, make([]byte, 31)...)) + `","enc_key":"` + b64(x25519Pub(t)) + `"}`},
		{"trustee public key", "sign key non-canonical", `{"sign_key":"` + b64(nonCanonicalEd25519()) + `","enc_key":"` + b64(x25519Pub(t)) + `"}`},
		{"trustee public key", "sign key short", `{"sign_key":"` + b64(make([]byte, 31)) + `","enc_key":"` + b64(x25519Pub(t)) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.sample+"/"+tt.name, func(t *testing.T) {
			if _, err := byName[tt.sample].parse([]byte(tt.mangled)); err == nil {
				t.Errorf("Parse(%s) succeeded", tt.mangled)
			} else if testing.Verbose() {
				t.Log(err)
			} else if !errors.Is(err, ceremony.ErrMalformed) {
				t.Errorf("Parse(%s) = %v, does not wrap ErrMalformed", tt.mangled, err)
			}
		})
	}

	// Substitutions inside real messages.
	subst := []struct {
		sample, name string
		f            func(m map[string]any)
	}{
		{"commitments", "fewer proofs", func(m map[string]any) { m["proofs"] = m["proofs"].([]any)[:1] }},
		{"commitments", "no coefficients", func(m map[string]any) { m["coefficients"], m["proofs"] = []any{}, []any{} }},
		{"commitments", "short proof", func(m map[string]any) { m["proofs"].([]any)[0] = b64(make([]byte, 63)) }},
		{"commitments", "non-canonical proof scalar", func(m map[string]any) {
			m["proofs"].([]any)[0] = b64(append(crypto.NewGeneratorElement().Bytes(), ell...))
		}},
		{"commitments", "non-canonical coefficient", func(m map[string]any) { m["coefficients"].([]any)[0] = b64(bytes.Repeat([]byte{0xff}, 32)) }},
		{"shares", "share to sender", func(m map[string]any) { shareOf(m, 0)["to"] = m["trustee"] }},
		{"shares", "recipients out of order", func(m map[string]any) {
			sh := m["shares"].([]any)
			sh[0], sh[1] = sh[1], sh[0]
		}},
		{"shares", "recipient 0", func(m map[string]any) { shareOf(m, 0)["to"] = 0 }},
		{"shares", "short ct", func(m map[string]any) { shareOf(m, 0)["ct"] = b64(make([]byte, 47)) }},
		{"shares", "long ct", func(m map[string]any) { shareOf(m, 0)["ct"] = b64(make([]byte, 49)) }},
		{"shares", "low-order enc", func(m map[string]any) { shareOf(m, 0)["enc"] = b64(make([]byte, 32)) }},
		{"shares", "non-canonical enc", func(m map[string]any) { shareOf(m, 0)["enc"] = b64(setTopBit(x25519Pub(t))) }},
		{"shares", "unknown field in share", func(m map[string]any) { shareOf(m, 0)["from"] = 1 }},
		{"state/share", "secret not matching its key", func(m map[string]any) {
			m["share"].(map[string]any)["secret"] = b64(crypto.NewScalar().SetUint64(7).Bytes())
		}},
		{"state/share", "non-canonical secret", func(m map[string]any) { m["share"].(map[string]any)["secret"] = b64(ell) }},
		{"state/share", "threshold above n", func(m map[string]any) { m["share"].(map[string]any)["threshold"] = 4 }},
		{"state/dealer", "index above n", func(m map[string]any) { m["dealer"].(map[string]any)["trustee"] = 4 }},
		{"state/dealer", "non-canonical own share", func(m map[string]any) { m["dealer"].(map[string]any)["own_share"] = b64(ell) }},
		{"state/keys", "short seed", func(m map[string]any) { m["sign_seed"] = b64(make([]byte, 31)) }},
		{"state/keys", "null dealer", func(m map[string]any) { m["dealer"] = nil }},
		{"state/keys", "null dealt", func(m map[string]any) { m["dealt"] = nil }},
		{"state/dealt", "dealt without dealer", func(m map[string]any) { delete(m, "dealer") }},
		{"state/dealt", "dealt without shares", func(m map[string]any) { delete(m["dealt"].(map[string]any), "shares") }},
		{"state/dealt", "another trustee's commitments", func(m map[string]any) {
			m["dealt"].(map[string]any)["commitments"] = b64(byName["commitments"].enc)
		}},
		{"state/dealt", "another trustee's shares", func(m map[string]any) {
			m["dealt"].(map[string]any)["shares"] = b64(byName["shares"].enc)
		}},
		{"state/dealt", "shares as commitments", func(m map[string]any) {
			m["dealt"].(map[string]any)["commitments"] = b64(byName["shares"].enc)
		}},
		{"state/dealt", "own share off the committed polynomial", func(m map[string]any) {
			m["dealer"].(map[string]any)["own_share"] = b64(crypto.NewScalar().SetUint64(7).Bytes())
		}},
	}
	for _, tt := range subst {
		t.Run(tt.sample+"/"+tt.name, func(t *testing.T) {
			b := reorderedRemarshal(t, byName[tt.sample].enc, tt.f)
			if _, err := byName[tt.sample].parse(b); err == nil {
				t.Errorf("Parse(%s) succeeded", b)
			} else if testing.Verbose() {
				t.Log(err)
			} else if !errors.Is(err, ceremony.ErrMalformed) {
				t.Errorf("Parse = %v, does not wrap ErrMalformed", err)
			}
		})
	}
}

func shareOf(m map[string]any, k int) map[string]any { return m["shares"].([]any)[k].(map[string]any) }

// reorderedRemarshal decodes enc, applies f, and re-encodes it with the
// canonical field order of enc, so that only f's change is rejected.
func reorderedRemarshal(t *testing.T, enc []byte, f func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(enc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	// Sanity: the unmodified message survives the same path.
	if got := orderedJSON(t, enc, m); !bytes.Equal(got, enc) {
		t.Fatalf("re-encoding changed the message:\n%s\n%s", enc, got)
	}
	f(m)
	return orderedJSON(t, enc, m)
}

// orderedJSON encodes v like encoding/json but with object keys in the
// order they first appear in ref (json.Marshal sorts map keys).
func orderedJSON(t *testing.T, ref []byte, v any) []byte {
	t.Helper()
	var order []string
	d := json.NewDecoder(bytes.NewReader(ref))
	expectKey := []bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{':
				expectKey = append(expectKey, true)
			case '[':
				expectKey = append(expectKey, false)
			default:
				expectKey = expectKey[:len(expectKey)-1]
			}
			continue
		case string:
			if len(expectKey) > 0 && expectKey[len(expectKey)-1] && d.More() {
				order = append(order, x)
			}
		}
	}
	rank := map[string]int{}
	for i, k := range order {
		if _, ok := rank[k]; !ok {
			rank[k] = i
		}
	}
	var enc func(v any) string
	enc = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			for i := range keys {
				for j := i + 1; j < len(keys); j++ {
					ri, oki := rank[keys[i]]
					rj, okj := rank[keys[j]]
					if !oki {
						ri = 1 << 30
					}
					if !okj {
						rj = 1 << 30
					}
					if rj < ri {
						keys[i], keys[j] = keys[j], keys[i]
					}
				}
			}
			var parts []string
			for _, k := range keys {
				kb, _ := json.Marshal(k)
				parts = append(parts, string(kb)+":"+enc(x[k]))
			}
			return "{" + strings.Join(parts, ",") + "}"
		case []any:
			var parts []string
			for _, e := range x {
				parts = append(parts, enc(e))
			}
			return "[" + strings.Join(parts, ",") + "]"
		default:
			b, err := json.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	return []byte(enc(v))
}

func x25519Pub(t *testing.T) []byte {
	k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey().Bytes()
}

func setTopBit(b []byte) []byte {
	b = bytes.Clone(b)
	b[31] |= 0x80
	return b
}

// nonCanonicalEd25519 returns the encoding y + p of a point with small y,
// which edwards25519 decodes (as y) but is not canonical.
func nonCanonicalEd25519() []byte {
	for y := byte(2); y < 19; y++ {
		// y + p = (y − 19) + 2^255: bytes 0xed + y, 0xff × 30, 0x7f.
		nc := append([]byte{0xed + y}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...)
		if p, err := new(edwards25519.Point).SetBytes(nc); err == nil {
			if c := p.Bytes(); c[0] != y || !bytes.Equal(c[1:], make([]byte, 31)) {
				panic("unexpected canonical form")
			}
			return nc
		}
	}
	panic("no small y on the curve")
}

func TestTrusteePublicKeyJSON(t *testing.T) {
	k, err := ceremony.GenerateTrusteeKeys()
	if err != nil {
		t.Fatal(err)
	}
	type manifest struct {
		Trustees []*ceremony.TrusteePublicKey `json:"trustees"`
	}
	b, err := json.Marshal(manifest{Trustees: []*ceremony.TrusteePublicKey{k.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"trustees":[{"sign_key":"%s","enc_key":"%s"}]}`,
		base64.StdEncoding.EncodeToString(k.Public().SignKey), base64.StdEncoding.EncodeToString(k.Public().EncKey))
	if string(b) != want {
		t.Fatalf("json.Marshal = %s, want %s", b, want)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Trustees[0].Equal(k.Public()) {
		t.Fatal("public key changed through JSON")
	}
	bad := strings.Replace(want, `"enc_key"`, ` "enc_key"`, 1)
	if err := json.Unmarshal([]byte(bad), &m); err == nil {
		t.Fatal("non-canonical embedded key accepted")
	}
}

// TestGolden pins the exact encoding of messages built from fixed values.
func TestGolden(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	G := crypto.NewGeneratorElement()
	G2 := crypto.NewElement().Add(G, G)
	pk, err := crypto.PublicKeyFromElement(G)
	if err != nil {
		t.Fatal(err)
	}
	ctx := []byte("ctx")
	tests := []struct {
		m    marshaler
		want string
	}{
		{&ceremony.Verdict{Ctx: ctx, Trustee: 2, Accept: true},
			`{"type":"evote/v1/ceremony/verdict","ctx":"Y3R4","trustee":2,"accept":true,"complaints":[]}`},
		{&ceremony.Verdict{Ctx: ctx, Trustee: 2, Complaints: []ceremony.Complaint{{1, ceremony.ReasonDecrypt}, {3, ceremony.ReasonShare}}},
			`{"type":"evote/v1/ceremony/verdict","ctx":"Y3R4","trustee":2,"accept":false,"complaints":[{"against":1,"reason":"decrypt"},{"against":3,"reason":"share"}]}`},
		{&ceremony.JointKey{Ctx: ctx, PublicKey: pk, VerificationKeys: []*crypto.Element{G, G2}},
			`{"type":"evote/v1/ceremony/joint-key","ctx":"Y3R4","public_key":"` + b64(G.Bytes()) + `","verification_keys":["` + b64(G.Bytes()) + `","` + b64(G2.Bytes()) + `"]}`},
		{&ceremony.Shares{Ctx: ctx, Trustee: 1, Shares: []ceremony.EncryptedShare{{To: 2, Enc: x25519Pub(t), Ct: make([]byte, 48)}}},
			`{"type":"evote/v1/ceremony/shares","ctx":"Y3R4","trustee":1,"shares":[{"to":2,"enc":"` + b64(x25519Pub(t)) + `","ct":"` + b64(make([]byte, 48)) + `"}]}`},
	}
	for _, tt := range tests {
		got := mustMarshal(t, tt.m)
		if string(got) != tt.want {
			t.Errorf("Marshal = %s\nwant       %s", got, tt.want)
		}
	}
	// The binding strings of spec sections 4 and 5.1.
	wantInfo := "\x00\x00\x00\x17evote/v1/ceremony/share\x00\x00\x00\x03ctx\x00\x00\x00\x01\x00\x00\x00\x02"
	if got := ceremony.ShareInfo(ctx, 1, 2); string(got) != wantInfo {
		t.Errorf("shareInfo = %q, want %q", got, wantInfo)
	}
	wantCoef := "\x00\x00\x00\x1eevote/v1/ceremony/coefficients\x00\x00\x00\x03ctx\x00\x00\x00\x03\x00\x00\x00\x05\x00\x00\x00\x02"
	if got := ceremony.CoefficientsContext(ctx, 3, 5, 2); string(got) != wantCoef {
		t.Errorf("coefficientsContext = %q, want %q", got, wantCoef)
	}
	if len("evote/v1/ceremony/share") != 0x17 || len("evote/v1/ceremony/coefficients") != 0x1e {
		t.Error("label length prefixes are wrong")
	}
}

func FuzzParse(f *testing.F) {
	ss := samples(f)
	for _, s := range ss {
		f.Add(s.enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range ss {
			out, err := reencode(s, b)
			if err != nil {
				if !errors.Is(err, ceremony.ErrMalformed) {
					t.Errorf("%s: error %v does not wrap ErrMalformed", s.name, err)
				}
				continue
			}
			if !bytes.Equal(out, b) {
				t.Errorf("%s: Parse accepted a non-canonical encoding:\n%q\n%q", s.name, b, out)
			}
		}
	})
}

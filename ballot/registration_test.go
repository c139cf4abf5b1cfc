package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// registrationMessageOf builds the message a registration request signs
// from its definition in docs/spec/ballot.md §2.1, independently of the
// package:
//
//	"evote/v1/registration\x00" || manifest hash || u8(len(voter)) || voter || key
func registrationMessageOf(election [32]byte, voter string, key []byte) []byte {
	msg := []byte("evote/v1/registration\x00")
	msg = append(msg, election[:]...)
	msg = append(msg, byte(len(voter)))
	msg = append(msg, voter...)
	return append(msg, key...)
}

func TestRegistrationRoundTrip(t *testing.T) {
	mh := sha256.Sum256([]byte("evote test registration"))
	for _, voter := range []string{"alice", "Bob.Smith+2026@example.org", strings.Repeat("v", MaxVoterIDLen)} {
		cred, err := NewCredential("springfield-2026", voter)
		if err != nil {
			t.Fatal(err)
		}
		r := NewRegistration(cred, mh)
		if r.Election != mh || r.Voter != voter || !r.Key.Equal(cred.Public) {
			t.Fatalf("NewRegistration = %+v", r)
		}
		if e := r.Entry(); e.Voter != voter || !e.Key.Equal(cred.Public) {
			t.Errorf("Entry() = %+v, want the credential's entry", e)
		}
		if !ed25519.Verify(cred.Public, registrationMessageOf(mh, voter, cred.Public), r.Sig) {
			t.Errorf("the signature is not over the specified message")
		}
		data := r.Marshal()
		want := fmt.Sprintf(`{"version":"evote/v1","election":"%x","voter":"%s","key":"%s","sig":"%s"}`, mh, voter, b64(cred.Public), b64(r.Sig))
		if string(data) != want {
			t.Errorf("Marshal() = %s\nwant %s", data, want)
		}
		got, err := ParseRegistration(data)
		if err != nil {
			t.Fatalf("ParseRegistration(%s) = %v", data, err)
		}
		if got.Election != r.Election || got.Voter != r.Voter || !got.Key.Equal(r.Key) || !bytes.Equal(got.Sig, r.Sig) {
			t.Errorf("round trip: %+v, want %+v", got, r)
		}
		if again := got.Marshal(); !bytes.Equal(again, data) {
			t.Errorf("round trip changed the encoding: %s", again)
		}
	}
}

// TestParseRegistrationRejects: a request whose signature is not the
// voter's over exactly its content, a key the roll would refuse, or an
// encoding other than the canonical one is refused.
func TestParseRegistrationRejects(t *testing.T) {
	mh := sha256.Sum256([]byte("evote test registration"))
	eh := hex.EncodeToString(mh[:])
	cred, err := NewCredential("springfield-2026", "alice")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCredential("springfield-2026", "mallory")
	if err != nil {
		t.Fatal(err)
	}
	good := NewRegistration(cred, mh)
	data := string(good.Marshal())
	if _, err := ParseRegistration([]byte(data)); err != nil {
		t.Fatal(err)
	}
	// altered returns the request after f, with the signature as it was.
	altered := func(f func(r *Registration)) string {
		r := *good
		r.Key, r.Sig = bytes.Clone(good.Key), bytes.Clone(good.Sig)
		f(&r)
		return string(r.Marshal())
	}
	otherMH := sha256.Sum256([]byte("another election"))
	sigB64 := b64(good.Sig)
	const (
		prefix   = "invalid registration request: "
		notVoter = prefix + "the signature is not the voter's: the request was altered, or made without the private key"
		canon    = prefix + "not in canonical form"
	)
	type tc struct{ name, data, msg string }
	cases := []tc{
		// Signature.
		{"signed by another key", altered(func(r *Registration) {
			r.Sig = ed25519.Sign(other.Private, registrationMessageOf(mh, "alice", cred.Public))
		}), notVoter},
		{"another voter's key, alice's signature", altered(func(r *Registration) { r.Key = other.Public }), notVoter},
		{"another voter's request, with alice's id", altered(func(r *Registration) { *r = *NewRegistration(other, mh); r.Voter = "alice" }), notVoter},
		{"voter altered", altered(func(r *Registration) { r.Voter = "alicia" }), notVoter},
		{"voter extended", altered(func(r *Registration) { r.Voter = "alice2" }), notVoter},
		{"election altered", altered(func(r *Registration) { r.Election[31] ^= 1 }), notVoter},
		{"request for another election", altered(func(r *Registration) { r.Election = otherMH }), notVoter},
		{"another election's request", altered(func(r *Registration) { *r = *NewRegistration(cred, otherMH); r.Election = mh }), notVoter},
		{"signature bit flipped", altered(func(r *Registration) { r.Sig[10] ^= 0x20 }), notVoter},
		{"signature truncated", altered(func(r *Registration) { r.Sig = r.Sig[:63] }), notVoter},
		{"signature extended", altered(func(r *Registration) { r.Sig = append(r.Sig, 0) }), notVoter},
		{"signature empty", altered(func(r *Registration) { r.Sig = []byte{} }), notVoter},
		{"signature over the bare key", altered(func(r *Registration) { r.Sig = ed25519.Sign(cred.Private, cred.Public) }), notVoter},
		// Content.
		{"wrong version", strings.Replace(data, `"version":"evote/v1"`, `"version":"evote/v2"`, 1), prefix + `version "evote/v2", want "evote/v1"`},
		{"small-order key", altered(func(r *Registration) { r.Key = torsionPoints(t)[2] }), prefix + "key: a small-order Ed25519 key: anyone could sign as it"},
		{"identity key", altered(func(r *Registration) { r.Key = torsionPoints(t)[0] }), prefix + "key: a small-order Ed25519 key"},
		{"non-canonical key", altered(func(r *Registration) { r.Key = nonCanonicalPoint(t) }), prefix + "key: Ed25519 public key not in canonical encoding"},
		{"key not a point", altered(func(r *Registration) { r.Key = notAPoint(t) }), prefix + "key: not a valid Ed25519 public key (not a curve point)"},
		{"31-byte key", altered(func(r *Registration) { r.Key = r.Key[:31] }), prefix + "key is 31 bytes, want 32"},
		{"uppercase election", strings.Replace(data, eh, strings.ToUpper(eh), 1), prefix + `election: "` + strings.ToUpper(eh) + `" is not 64 lower-case hex digits`},
		{"short election", strings.Replace(data, eh, eh[:62], 1), prefix + "election: "},
		// Encoding.
		{"space after a colon", strings.Replace(data, `"voter":"alice"`, `"voter": "alice"`, 1), canon},
		{"trailing newline", data + "\n", canon},
		{"members reordered", strings.Replace(data, `"version":"evote/v1","election":"`+eh+`"`, `"election":"`+eh+`","version":"evote/v1"`, 1), canon},
		{"member twice", strings.Replace(data, `"voter":"alice"`, `"voter":"alice","voter":"alice"`, 1), canon},
		{"escaped voter", strings.Replace(data, `"voter":"alice"`, `"voter":"\u0061lice"`, 1), canon},
		{"signature with padding bits set", strings.Replace(data, sigB64, tweakPadding(t, sigB64), 1), canon},
		{"unknown field", strings.Replace(data, `"voter":"alice"`, `"voter":"alice","name":"Alice"`, 1), prefix + `json: unknown field "name"`},
		{"null signature", strings.Replace(data, `"`+sigB64+`"`, "null", 1), prefix + "null is not allowed"},
		{"trailing data", data + "{}", prefix + "trailing data after JSON value"},
		{"empty", "", prefix + "EOF"},
	}
	for _, id := range invalidVoterIDs() {
		cases = append(cases, tc{"voter " + fmt.Sprintf("%q", id), strings.Replace(data, `"voter":"alice"`, `"voter":`+jsonString(t, id), 1),
			fmt.Sprintf("%s%q is not a voter identifier", prefix, id)})
	}
	cases = append(cases, tc{"no voter", strings.Replace(data, `"voter":"alice",`, "", 1), prefix + `"" is not a voter identifier`})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.data == data {
				t.Fatal("mutation did nothing")
			}
			r, err := ParseRegistration([]byte(c.data))
			if err == nil {
				t.Fatalf("ParseRegistration(%s) = %+v, want an error", c.data, r)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("ParseRegistration(%s) = %v\nwant an error containing %q", c.data, err, c.msg)
			}
		})
	}
}

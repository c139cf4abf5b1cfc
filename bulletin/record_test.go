package bulletin_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"golang.org/x/mod/sumdb/tlog"
)

func exampleRecord() *bulletin.Record {
	s := bulletin.Sign(testKey("alice"), "ballot", []byte(`{"choice":"yes"}`))
	return &bulletin.Record{
		Index:   7,
		Time:    time.Date(2025, 3, 1, 8, 0, 0, 123*int(time.Millisecond), time.UTC),
		Type:    s.Type,
		Payload: s.Payload,
		Author:  s.Author,
		Sig:     s.Sig,
		Prev:    bytes.Repeat([]byte{0xab}, 32),
	}
}

func TestSigningMessageLayout(t *testing.T) {
	got := bulletin.SigningMessage("ab", []byte("{}"))
	want := []byte("evote/v1/record-sig\x00\x00\x00\x00\x02ab\x00\x00\x00\x02{}")
	if !bytes.Equal(got, want) {
		t.Fatalf("SigningMessage = %q, want %q", got, want)
	}
}

func TestLeafDataLayout(t *testing.T) {
	r := exampleRecord()
	var want []byte
	want = append(want, "evote/v1/record\x00"...)
	want = binary.BigEndian.AppendUint64(want, 7)
	want = binary.BigEndian.AppendUint64(want, uint64(r.Time.UnixMilli()))
	for _, f := range [][]byte{[]byte(r.Type), r.Payload, r.Author, r.Sig} {
		want = binary.BigEndian.AppendUint32(want, uint32(len(f)))
		want = append(want, f...)
	}
	want = append(want, r.Prev...)
	if got := r.LeafData(); !bytes.Equal(got, want) {
		t.Fatalf("LeafData = %x, want %x", got, want)
	}
	if r.LeafHash() != tlog.RecordHash(want) {
		t.Fatalf("LeafHash is not tlog.RecordHash(LeafData)")
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := exampleRecord()
	enc, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := bulletin.ParseRecord(enc)
	if err != nil {
		t.Fatalf("ParseRecord(%s): %v", enc, err)
	}
	again, _ := got.MarshalJSON()
	if !bytes.Equal(again, enc) {
		t.Fatalf("parse then marshal = %s, want %s", again, enc)
	}
	if got.LeafHash() != r.LeafHash() {
		t.Fatalf("leaf hash changed in round trip")
	}
	// A payload with characters encoding/json would escape survives verbatim.
	r.Payload = []byte(`{"x":"<&>\u2028"}`)
	enc, _ = r.MarshalJSON()
	if !bytes.Contains(enc, []byte(`{"x":"<&>\u2028"}`)) {
		t.Fatalf("payload not verbatim in %s", enc)
	}
	if _, err := bulletin.ParseRecord(enc); err != nil {
		t.Fatalf("ParseRecord: %v", err)
	}
}

func TestParseRecordRejects(t *testing.T) {
	enc, _ := exampleRecord().MarshalJSON()
	s := string(enc)
	mangle := map[string]string{
		"unknown field":    strings.Replace(s, `{"index":7,`, `{"index":7,"extra":1,`, 1),
		"duplicate field":  strings.Replace(s, `{"index":7,`, `{"index":7,"index":7,`, 1),
		"whitespace":       strings.Replace(s, `{"index":7,`, `{"index": 7,`, 1),
		"field order":      strings.Replace(s, `{"index":7,"time":"2025-03-01T08:00:00.123Z",`, `{"time":"2025-03-01T08:00:00.123Z","index":7,`, 1),
		"non-UTC":          strings.Replace(s, `08:00:00.123Z`, `09:00:00.123+01:00`, 1),
		"no millis":        strings.Replace(s, `08:00:00.123Z`, `08:00:00Z`, 1),
		"micros":           strings.Replace(s, `08:00:00.123Z`, `08:00:00.123456Z`, 1),
		"leading zero":     strings.Replace(s, `{"index":7,`, `{"index":07,`, 1),
		"negative index":   strings.Replace(s, `{"index":7,`, `{"index":-7,`, 1),
		"bad type":         strings.Replace(s, `"type":"ballot"`, `"type":"Ballot"`, 1),
		"empty type":       strings.Replace(s, `"type":"ballot"`, `"type":""`, 1),
		"spaced payload":   strings.Replace(s, `{"choice":"yes"}`, `{"choice": "yes"}`, 1),
		"short prev":       strings.Replace(s, `"prev":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="`, `"prev":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urqw=="`, 1),
		"unpadded base64":  strings.Replace(s, `q6s="`, `q6s"`, 1),
		"missing prev":     strings.Replace(s, `,"prev":"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="`, ``, 1),
		"trailing data":    s + " ",
		"trailing newline": s + "\n",
		"two values":       s + s,
		"null author":      strings.Replace(s, `"author":"`, `"author":null,"x":"`, 1),
	}
	for name, m := range mangle {
		if m == s {
			t.Errorf("%s: mangling did not change the input", name)
			continue
		}
		if _, err := bulletin.ParseRecord([]byte(m)); err == nil {
			t.Errorf("%s: ParseRecord(%s) succeeded", name, m)
		}
	}
	// Every truncation fails.
	for i := 0; i < len(enc); i++ {
		if _, err := bulletin.ParseRecord(enc[:i]); err == nil {
			t.Fatalf("ParseRecord(truncated to %d) succeeded", i)
		}
	}
}

func TestSubmissionCheck(t *testing.T) {
	priv := testKey("alice")
	good := bulletin.Sign(priv, "ballot", []byte(`{"a":1}`))
	if err := good.Check(0); err != nil {
		t.Fatalf("Check(good) = %v", err)
	}
	mod := func(f func(s *bulletin.Submission)) *bulletin.Submission {
		c := *good
		c.Author = bytes.Clone(good.Author)
		c.Sig = bytes.Clone(good.Sig)
		c.Payload = bytes.Clone(good.Payload)
		f(&c)
		return &c
	}
	tests := []struct {
		name string
		s    *bulletin.Submission
		max  int
		code string
	}{
		{"bad type", mod(func(s *bulletin.Submission) { s.Type = "Ballot" }), 0, bulletin.CodeMalformed},
		{"long type", mod(func(s *bulletin.Submission) { s.Type = strings.Repeat("a", 41) }), 0, bulletin.CodeMalformed},
		{"short author", mod(func(s *bulletin.Submission) { s.Author = s.Author[:31] }), 0, bulletin.CodeMalformed},
		{"short sig", mod(func(s *bulletin.Submission) { s.Sig = s.Sig[:63] }), 0, bulletin.CodeMalformed},
		{"too large", good, 3, bulletin.CodeTooLarge},
		{"not json", bulletin.Sign(priv, "ballot", []byte(`{"a":`)), 0, bulletin.CodeMalformed},
		{"not compact", bulletin.Sign(priv, "ballot", []byte(`{"a": 1}`)), 0, bulletin.CodeMalformed},
		{"empty payload", bulletin.Sign(priv, "ballot", nil), 0, bulletin.CodeMalformed},
		{"bad utf8", bulletin.Sign(priv, "ballot", []byte("\"\xff\"")), 0, bulletin.CodeMalformed},
		{"flipped sig", mod(func(s *bulletin.Submission) { s.Sig[5] ^= 1 }), 0, bulletin.CodeBadSignature},
		{"other payload", mod(func(s *bulletin.Submission) { s.Payload = []byte(`{"a":2}`) }), 0, bulletin.CodeBadSignature},
		{"other type", mod(func(s *bulletin.Submission) { s.Type = "phase" }), 0, bulletin.CodeBadSignature},
		{"other author", mod(func(s *bulletin.Submission) { s.Author = testKey("bob").Public().(ed25519.PublicKey) }), 0, bulletin.CodeBadSignature},
	}
	for _, tt := range tests {
		err := tt.s.Check(tt.max)
		var re *bulletin.RejectError
		if !errors.As(err, &re) || re.Code != tt.code {
			t.Errorf("%s: Check() = %v, want code %q", tt.name, err, tt.code)
		}
	}
}

func TestSubmissionJSON(t *testing.T) {
	s := bulletin.Sign(testKey("alice"), "ballot", []byte(`{"x":"<&>"}`))
	enc, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := bulletin.ParseSubmission(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check(0); err != nil {
		t.Fatalf("round-tripped submission fails Check: %v (%s)", err, enc)
	}
	if _, err := bulletin.ParseSubmission(append(bytes.Clone(enc[:len(enc)-1]), `,"index":3}`...)); err == nil {
		t.Fatalf("ParseSubmission accepted an unknown field")
	}
}

func FuzzParseRecord(f *testing.F) {
	enc, _ := exampleRecord().MarshalJSON()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := bulletin.ParseRecord(data)
		if err != nil {
			return
		}
		again, err := r.MarshalJSON()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("ParseRecord accepted %q but marshals to %q, %v", data, again, err)
		}
	})
}

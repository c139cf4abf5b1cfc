package election_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/election"
)

// TestDecodeRefusesOtherHashEncodings: a hash in a payload has one
// encoding, 64 lower-case hex digits; upper case, a short hash or another
// encoding is malformed, not merely "for another election" later.
func TestDecodeRefusesOtherHashEncodings(t *testing.T) {
	h := strings.Repeat("ab", 32)
	upper := strings.ToUpper(h)
	for _, c := range []struct {
		what, typ, payload string
	}{
		{"phase: election in upper case", election.TypePhase, `{"election":"` + upper + `","phase":"open"}`},
		{"phase: short election", election.TypePhase, `{"election":"abab","phase":"open"}`},
		{"close: root in upper case", election.TypePhase, `{"election":"` + h + `","phase":"closed","size":3,"root":"` + upper + `","sums":"` + h + `"}`},
		{"close: no sums", election.TypePhase, `{"election":"` + h + `","phase":"closed","size":3,"root":"` + h + `"}`},
		{"client hash: sha256 in upper case", election.TypeClientHash, `{"election":"` + h + `","name":"x","sha256":"` + upper + `"}`},
		{"mix: close in upper case", election.TypeMix, `{"election":"` + h + `","close":"` + upper + `","contest":"c","mix":1,"trustee":1,"output":"","proof":""}`},
	} {
		_, err := election.Decode(c.typ, []byte(c.payload))
		if !errors.Is(err, election.ErrMalformed) || !strings.Contains(err.Error(), "lower-case hex digits") {
			t.Errorf("%s: %v, want malformed for its hash", c.what, err)
		}
	}
	// A real partial decryption and result, with a hash in upper case.
	for _, rec := range simulatedRecords(t) {
		if rec.Type != election.TypePartial && rec.Type != election.TypeResult {
			continue
		}
		if _, err := election.Decode(rec.Type, rec.Payload); err != nil {
			t.Fatalf("record %d: %v", rec.Index, err)
		}
		i := strings.Index(string(rec.Payload), `":"`) + 3 // the election's hash
		payload := string(rec.Payload[:i]) + strings.ToUpper(string(rec.Payload[i:i+64])) + string(rec.Payload[i+64:])
		_, err := election.Decode(rec.Type, []byte(payload))
		if !errors.Is(err, election.ErrMalformed) || !strings.Contains(err.Error(), "lower-case hex digits") {
			t.Errorf("record %d (%s) with its election hash in upper case: %v, want malformed for its hash", rec.Index, rec.Type, err)
		}
	}
	// The same payloads in lower case decode.
	for _, payload := range []string{
		`{"election":"` + h + `","phase":"open"}`,
		`{"election":"` + h + `","phase":"closed","size":3,"root":"` + h + `","sums":"` + h + `"}`,
	} {
		if _, err := election.Decode(election.TypePhase, []byte(payload)); err != nil {
			t.Errorf("%s: %v", payload, err)
		}
	}
}

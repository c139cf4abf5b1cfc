package ballot

import (
	"bytes"
	"encoding/json"
	"github.com/evote/evote/internal/strictjson"
	"reflect"
	"slices"
	"testing"
)

func ballotEnvelopeSeeds(t testing.TB) [][]byte {
	vs := voters(1)
	e := newTestElection(t, manifestKofN(t, 3, 2), vs)
	b, s, err := Encrypt(e, vs[0].Public, Choices{{1, 0, 1}}, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{
		b.Marshal(),
		Challenge(b, s).Marshal(),
		[]byte(`{"version":"evote/v1","election":"","credential":"","prev":"","contests":[""]}`),
		[]byte(`{"version":"evote/v1","election":"AA==","credential":"AAA=","prev":"AAAA","contests":["","QUJD",""]}`),
		[]byte(`{"version":"evote/v1","election":"AA==","credential":"AAA=","prev":"AAAA","contests":[]}`),
		[]byte(`{"version":"evote/v1","election":null,"credential":"AAA=","prev":"AAAA","contests":null}`),
	}
}

// checkBallotEnvelope fails unless parseBallotEnvelope accepts data only
// if decodeStrict does and marshalCompact gives data back, with the same
// fields, and accepts every such envelope that can be a ballot.
func checkBallotEnvelope(t *testing.T, data []byte) {
	t.Helper()
	var fast, slow ballotJSON
	ok := parseBallotEnvelope(data, &fast)
	want := false
	if err := strictjson.Unmarshal(data, &slow); err == nil && slow.Version == Version {
		enc, err := marshalCompact(&slow)
		want = err == nil && bytes.Equal(enc, data)
	}
	// Envelopes without contests or with null fields are canonical but
	// fail parseBallot's checks: the fast path may leave them to the
	// generic one.
	mayMiss := len(slow.Contests) == 0 || slow.Election == nil || slow.Credential == nil || slow.Prev == nil ||
		slices.ContainsFunc(slow.Contests, func(c []byte) bool { return c == nil })
	if ok && !want || !ok && want && !mayMiss {
		t.Fatalf("parseBallotEnvelope(%q) = %v, want %v", data, ok, want)
	}
	if ok && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("parseBallotEnvelope(%q) = %+v, decodeStrict gives %+v", data, fast, slow)
	}
}

func TestBallotVersionNeedsNoEscaping(t *testing.T) {
	if got, _ := json.Marshal(Version); string(got) != `"`+Version+`"` {
		t.Fatalf("json.Marshal(%q) = %s: parseBallotEnvelope's prefix is wrong", Version, got)
	}
}

// TestParseBallotEnvelopeMangled compares the fast envelope parser with
// the generic one on every truncation, extension and byte change of the
// seeds.
func TestParseBallotEnvelopeMangled(t *testing.T) {
	repl := []byte{0, ' ', '"', '\\', ',', '=', 'A', '/', '\n', '\r', ']', '}', 0xff}
	seeds := ballotEnvelopeSeeds(t)
	for si, rec := range seeds {
		checkBallotEnvelope(t, rec)
		step := 1
		if si < 2 && testing.Short() {
			step = 37
		}
		for i := 0; i <= len(rec); i += step {
			checkBallotEnvelope(t, rec[:i])
			checkBallotEnvelope(t, append(bytes.Clone(rec), rec[i:]...))
			if i == len(rec) {
				break
			}
			for _, c := range repl {
				m := bytes.Clone(rec)
				m[i] = c
				checkBallotEnvelope(t, m)
				m = append(bytes.Clone(rec[:i]), c)
				checkBallotEnvelope(t, append(m, rec[i:]...))
			}
		}
	}
}

package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/evote/evote/crypto"
)

func TestParseSampleManifest(t *testing.T) {
	m := sampleManifest(t)
	if m.ID != "springfield-2026" || len(m.Contests) != 5 || len(m.Trustees) != 3 || m.Threshold != 2 || len(m.Voters) != 4 {
		t.Fatalf("sample parsed to %+v", m)
	}
	if want := time.Date(2026, 5, 3, 7, 0, 0, 0, time.UTC); !m.Opens.Equal(want) {
		t.Errorf("Opens = %v, want %v", m.Opens, want)
	}
	// option_max defaults to 1; kind is optional.
	if c := m.Contests[0]; c.OptionMax != 1 || c.Kind != KindPlurality || len(c.Options) != 3 {
		t.Errorf("contest 0 = %+v", c)
	}
	if c := m.Contests[3]; c.OptionMax != 3 || c.MinSelections != 5 || c.MaxSelections != 5 || c.Kind != KindCumulative {
		t.Errorf("contest 3 = %+v", c)
	}
	if c := m.Contests[4]; c.Kind != "" || c.OptionMax != 1 {
		t.Errorf("contest 4 = %+v", c)
	}
	if got := m.OptionCount(); got != 17 {
		t.Errorf("OptionCount() = %d, want 17", got)
	}
	// min_counted is left out: min(10, 4 voters).
	if m.MinCounted != 4 {
		t.Errorf("MinCounted = %d, want the default 4", m.MinCounted)
	}
}

// TestGoldenManifest checks the canonical encoding and hash of the sample
// against testdata (regenerate with -update).
func TestGoldenManifest(t *testing.T) {
	m := sampleManifest(t)
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	h := ManifestHash(c)
	const canonFile, hashFile = "testdata/manifest-sample.canonical.json", "testdata/manifest-sample.hash"
	if *update {
		os.WriteFile(canonFile, c, 0o644)
		os.WriteFile(hashFile, []byte(hex.EncodeToString(h[:])+"\n"), 0o644)
	}
	if want := readFile(t, canonFile); !bytes.Equal(c, want) {
		t.Errorf("MarshalCanonical(sample) =\n%s\nwant\n%s", c, want)
	}
	if want := strings.TrimSpace(string(readFile(t, hashFile))); hex.EncodeToString(h[:]) != want {
		t.Errorf("ManifestHash = %x, want %s", h, want)
	}
	// Recompute the hash from its definition.
	if want := sha256.Sum256(append([]byte("evote/v1/manifest\x00"), c...)); h != want {
		t.Errorf("ManifestHash = %x, want SHA-256(label || canonical) = %x", h, want)
	}
	if mh, _ := m.Hash(); mh != h {
		t.Errorf("Hash() = %x, want %x", mh, h)
	}
	// Byte-exact round trip, and canonical parsing rejects the hand-written form.
	m2, err := ParseCanonicalManifest(c)
	if err != nil {
		t.Fatalf("ParseCanonicalManifest(canonical) = %v", err)
	}
	if c2, _ := m2.MarshalCanonical(); !bytes.Equal(c2, c) {
		t.Errorf("round trip changed the encoding:\n%s\n%s", c2, c)
	}
	if _, err := ParseCanonicalManifest(readFile(t, "testdata/manifest-sample.json")); err == nil {
		t.Error("ParseCanonicalManifest accepted the indented hand-written sample")
	}
	// Canonical form details.
	for _, want := range []string{`"option_max":1,`, `"title":"Springfield municipal election & referendum, 2026"`, `"threshold":2,"min_counted":4,"voters":[`} {
		if !bytes.Contains(c, []byte(want)) {
			t.Errorf("canonical form lacks %s", want)
		}
	}
	if bytes.Contains(c, []byte(`"kind":""`)) || bytes.Contains(c, []byte("voter_count")) {
		t.Error("canonical form has an empty kind or a voter_count")
	}
}

func TestVoterCount(t *testing.T) {
	data := mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m map[string]any) {
		delete(m, "voters")
		m["voter_count"] = 5
	})
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.VoterCount != 5 || len(m.Voters) != 0 {
		t.Fatalf("VoterCount = %d, voters %d", m.VoterCount, len(m.Voters))
	}
	if _, err := m.MarshalCanonical(); !errors.Is(err, ErrVotersNotFilled) {
		t.Errorf("MarshalCanonical before FillVoters = %v, want ErrVotersNotFilled", err)
	}
	creds, err := m.FillVoters()
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 5 || len(m.Voters) != 5 || m.VoterCount != 0 {
		t.Fatalf("FillVoters: %d creds, %d voters, count %d", len(creds), len(m.Voters), m.VoterCount)
	}
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ParseCanonicalManifest(c)
	if err != nil {
		t.Fatal(err)
	}
	for i, cr := range creds {
		if !m2.Voters[i].Equal(cr.Public) || cr.Election != "springfield-2026" {
			t.Errorf("voter %d does not match its credential", i)
		}
	}
	if _, err := m.FillVoters(); err == nil {
		t.Error("FillVoters twice succeeded")
	}
}

func TestCredentialFile(t *testing.T) {
	creds, err := GenerateCredentials("springfield-2026", 3)
	if err != nil {
		t.Fatal(err)
	}
	if creds[0].Public.Equal(creds[1].Public) {
		t.Fatal("two credentials are equal")
	}
	data, err := creds[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredential(data)
	if err != nil {
		t.Fatalf("ParseCredential(%s) = %v", data, err)
	}
	if !c.Public.Equal(creds[0].Public) || !c.Private.Equal(creds[0].Private) || c.Election != "springfield-2026" {
		t.Error("credential round trip changed it")
	}
	if again, _ := c.Marshal(); !bytes.Equal(again, data) {
		t.Error("credential round trip changed the encoding")
	}
	bad := map[string][]byte{
		"mismatched public key": mutateJSON(t, data, func(m map[string]any) { m["public"] = b64(creds[1].Public) }),
		"unknown field":         mutateJSON(t, data, func(m map[string]any) { m["note"] = "x" }),
		"wrong version":         mutateJSON(t, data, func(m map[string]any) { m["version"] = "evote/v0" }),
		"short private key":     mutateJSON(t, data, func(m map[string]any) { m["private"] = "AAAA" }),
		"not canonical":         append(append([]byte{}, data...), ' '),
		"reordered":             mutateJSON(t, data, func(map[string]any) {}),
	}
	for name, d := range bad {
		if _, err := ParseCredential(d); err == nil {
			t.Errorf("%s: ParseCredential(%s) succeeded", name, d)
		}
	}
	for _, n := range []int{0, -1} {
		if _, err := GenerateCredentials("x", n); err == nil {
			t.Errorf("GenerateCredentials(%d) succeeded", n)
		}
	}
	if _, err := GenerateCredentials("Bad Id", 1); err == nil {
		t.Error("GenerateCredentials with a bad id succeeded")
	}
}

// notAPoint returns 32 bytes that are not an Ed25519 point encoding.
func notAPoint(t testing.TB) []byte {
	for i := 2; i < 256; i++ {
		b := make([]byte, 32)
		b[0] = byte(i)
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			return b
		}
	}
	t.Fatal("no invalid point found")
	return nil
}

type obj = map[string]any

func contest(m obj, i int) obj { return m["contests"].([]any)[i].(obj) }
func trustee(m obj, i int) obj { return m["trustees"].([]any)[i].(obj) }
func options(m obj, i int) []any {
	return contest(m, i)["options"].([]any)
}

// TestParseManifestInvalid gives, for each kind of mistake, a mutation of
// the sample and the problem ParseManifest must report.
func TestParseManifestInvalid(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	voter0, _ := testKey("voter 0")
	badPoint := b64(notAPoint(t))
	type tc struct {
		name   string
		mutate func(obj)
		raw    string // used instead of mutate if set
		path   string
		msg    string
	}
	groups := map[string][]tc{
		"syntax": {
			{name: "truncated", raw: `{"version": "evote/v1",`, path: "$", msg: "JSON"},
			{name: "bad token", raw: "{\n  \"version\": evote\n}", path: "$", msg: "line 2, column"},
			{name: "not an object", raw: `[1, 2]`, path: "$", msg: "must be a JSON object, not an array"},
			{name: "invalid UTF-8", raw: "{\"title\": \"\xff\"}", path: "$", msg: "not valid UTF-8"},
			{name: "duplicate key", raw: `{"id": "a", "id": "b"}`, path: "$.id", msg: "more than once"},
		},
		"unknown or missing fields": {
			{name: "unknown top-level", mutate: func(m obj) { m["colour"] = "red" }, path: "$.colour", msg: `unknown field "colour"`},
			{name: "unknown in contest", mutate: func(m obj) { contest(m, 1)["maxselections"] = 3 }, path: "$.contests[1].maxselections", msg: "unknown field"},
			{name: "unknown in option", mutate: func(m obj) { options(m, 0)[0].(obj)["party"] = "x" }, path: "$.contests[0].options[0].party", msg: "unknown field"},
			{name: "unknown in trustee", mutate: func(m obj) { trustee(m, 2)["email"] = "x" }, path: "$.trustees[2].email", msg: "unknown field"},
			{name: "missing title", mutate: func(m obj) { delete(m, "title") }, path: "$.title", msg: "missing required field"},
			{name: "missing max_selections", mutate: func(m obj) { delete(contest(m, 2), "max_selections") }, path: "$.contests[2].max_selections", msg: "missing required field"},
			{name: "missing enc_key", mutate: func(m obj) { delete(trustee(m, 0), "enc_key") }, path: "$.trustees[0].enc_key", msg: "missing required field"},
		},
		"types": {
			{name: "number as string", mutate: func(m obj) { m["threshold"] = "2" }, path: "$.threshold", msg: "must be a JSON number, not a string"},
			{name: "negative", mutate: func(m obj) { contest(m, 0)["min_selections"] = -1 }, path: "$.contests[0].min_selections", msg: "whole number"},
			{name: "fraction", mutate: func(m obj) { contest(m, 0)["max_selections"] = 1.5 }, path: "$.contests[0].max_selections", msg: "whole number"},
			{name: "contests not array", mutate: func(m obj) { m["contests"] = obj{} }, path: "$.contests", msg: "must be a JSON array"},
			{name: "title not string", mutate: func(m obj) { m["title"] = 7 }, path: "$.title", msg: "must be a JSON string, not a number"},
			{name: "contest null", mutate: func(m obj) { m["contests"].([]any)[1] = nil }, path: "$.contests[1]", msg: "must be a JSON object, not null"},
		},
		"version": {
			{name: "wrong version", mutate: func(m obj) { m["version"] = "evote/v2" }, path: "$.version", msg: `must be "evote/v1"`},
		},
		"ids": {
			{name: "election id with space", mutate: func(m obj) { m["id"] = "Springfield 2026" }, path: "$.id", msg: "not a valid id"},
			{name: "empty contest id", mutate: func(m obj) { contest(m, 0)["id"] = "" }, path: "$.contests[0].id", msg: "not a valid id"},
			{name: "uppercase option id", mutate: func(m obj) { options(m, 1)[2].(obj)["id"] = "C3" }, path: "$.contests[1].options[2].id", msg: "a-z, 0-9 and -"},
			{name: "long id", mutate: func(m obj) { m["id"] = strings.Repeat("a", 65) }, path: "$.id", msg: "1 to 64"},
			{name: "duplicate contest id", mutate: func(m obj) { contest(m, 2)["id"] = "mayor" }, path: "$.contests[2].id", msg: `duplicate contest id "mayor" (also $.contests[0])`},
			{name: "duplicate option id", mutate: func(m obj) { options(m, 1)[4].(obj)["id"] = "c1" }, path: "$.contests[1].options[4].id", msg: `duplicate option id "c1"`},
		},
		"titles": {
			{name: "empty title", mutate: func(m obj) { m["title"] = "" }, path: "$.title", msg: "must not be empty"},
			{name: "control character", mutate: func(m obj) { contest(m, 0)["title"] = "Ma\nyor" }, path: "$.contests[0].title", msg: "control character"},
			{name: "trailing space", mutate: func(m obj) { options(m, 0)[1].(obj)["title"] = "Joe " }, path: "$.contests[0].options[1].title", msg: "white space"},
			{name: "too long", mutate: func(m obj) { m["title"] = strings.Repeat("x", MaxTitleLen+1) }, path: "$.title", msg: "at most 1024"},
		},
		"keys": {
			{name: "bad base64", mutate: func(m obj) { m["official"] = "not base64!" }, path: "$.official", msg: "not standard base64"},
			{name: "unpadded base64", mutate: func(m obj) { m["official"] = strings.TrimRight(m["official"].(string), "=") }, path: "$.official", msg: "not standard base64"},
			{name: "url base64", mutate: func(m obj) { m["voters"].([]any)[1] = "jXZTkgzarIRR2VdQQf_Deec_TM9d4KicavoDHf4xwAA=" }, path: "$.voters[1]", msg: "not standard base64"},
			{name: "short key", mutate: func(m obj) { m["official"] = "AAAA" }, path: "$.official", msg: "must be 32 bytes, got 3"},
			{name: "not a point", mutate: func(m obj) { trustee(m, 1)["sign_key"] = badPoint }, path: "$.trustees[1].sign_key", msg: "not a curve point"},
			{name: "short enc key", mutate: func(m obj) { trustee(m, 1)["enc_key"] = "AAAA" }, path: "$.trustees[1].enc_key", msg: "HPKE X25519 public key must be 32 bytes"},
		},
		"times": {
			{name: "not RFC 3339", mutate: func(m obj) { m["opens"] = "2026-05-03 07:00" }, path: "$.opens", msg: "RFC 3339 UTC"},
			{name: "offset", mutate: func(m obj) { m["opens"] = "2026-05-03T09:00:00+02:00" }, path: "$.opens", msg: "RFC 3339 UTC"},
			{name: "fraction", mutate: func(m obj) { m["closes"] = "2026-05-03T19:00:00.5Z" }, path: "$.closes", msg: "whole seconds"},
			{name: "closes before opens", mutate: func(m obj) { m["closes"] = "2026-05-02T19:00:00Z" }, path: "$.closes", msg: "must be after opens"},
			{name: "closes at opens", mutate: func(m obj) { m["closes"] = m["opens"] }, path: "$.closes", msg: "must be after opens"},
		},
		"contests": {
			{name: "no contests", mutate: func(m obj) { m["contests"] = []any{} }, path: "$.contests", msg: "no contests"},
			{name: "no options", mutate: func(m obj) { contest(m, 1)["options"] = []any{} }, path: "$.contests[1].options", msg: "no options"},
			{name: "min > max", mutate: func(m obj) { contest(m, 1)["min_selections"] = 4 }, path: "$.contests[1].min_selections", msg: "min_selections (4) is greater than max_selections (3)"},
			{name: "max > options", mutate: func(m obj) { contest(m, 1)["max_selections"] = 6 }, path: "$.contests[1].max_selections", msg: "max_selections (6) exceeds what 5 options × option_max 1 allow (5)"},
			{name: "max > options × option_max", mutate: func(m obj) { contest(m, 3)["max_selections"] = 10 }, path: "$.contests[3].max_selections", msg: "3 options × option_max 3 allow (9)"},
			{name: "max zero", mutate: func(m obj) { contest(m, 4)["max_selections"] = 0 }, path: "$.contests[4].max_selections", msg: "must be at least 1"},
			{name: "option_max zero", mutate: func(m obj) { contest(m, 3)["option_max"] = 0 }, path: "$.contests[3].option_max", msg: "must be at least 1"},
			{name: "option_max too big", mutate: func(m obj) { contest(m, 3)["option_max"] = 101 }, path: "$.contests[3].option_max", msg: "at most 100"},
			{name: "sum range too wide", mutate: func(m obj) {
				c := contest(m, 3)
				c["option_max"], c["min_selections"], c["max_selections"] = 100, 0, 300
				c["kind"] = "cumulative"
				for i := 0; i < 3; i++ {
					c["options"] = append(c["options"].([]any), obj{"id": "x" + string(rune('a'+i)), "title": "X"})
				}
				c["max_selections"] = 600
			}, path: "$.contests[3].max_selections", msg: "at most 512 allowed"},
			{name: "too many contests", mutate: func(m obj) {
				var cs []any
				for i := 0; i <= MaxContests; i++ {
					cs = append(cs, contest(m, 4))
				}
				m["contests"] = cs
			}, path: "$.contests", msg: "101 contests, at most 100"},
		},
		"kinds": {
			{name: "unknown kind", mutate: func(m obj) { contest(m, 0)["kind"] = "ranked" }, path: "$.contests[0].kind", msg: `unknown kind "ranked"`},
			{name: "plurality with 2", mutate: func(m obj) { contest(m, 0)["max_selections"] = 2 }, path: "$.contests[0].kind", msg: "plurality contest has max_selections 1"},
			{name: "approval with option_max", mutate: func(m obj) { contest(m, 2)["option_max"] = 2 }, path: "$.contests[2].kind", msg: `use kind "cumulative"`},
		},
		"trustees": {
			{name: "no trustees", mutate: func(m obj) { m["trustees"] = []any{}; m["threshold"] = 1 }, path: "$.trustees", msg: "no trustees"},
			{name: "duplicate sign key", mutate: func(m obj) { trustee(m, 2)["sign_key"] = trustee(m, 0)["sign_key"] }, path: "$.trustees[2].sign_key", msg: "same key as $.trustees[0].sign_key"},
			{name: "duplicate enc key", mutate: func(m obj) { trustee(m, 1)["enc_key"] = trustee(m, 0)["enc_key"] }, path: "$.trustees[1].enc_key", msg: "same key as $.trustees[0].enc_key"},
			{name: "duplicate name", mutate: func(m obj) { trustee(m, 1)["name"] = "Trustee One" }, path: "$.trustees[1].name", msg: `duplicate trustee name "Trustee One"`},
			{name: "threshold zero", mutate: func(m obj) { m["threshold"] = 0 }, path: "$.threshold", msg: "must be at least 1"},
			{name: "threshold over n", mutate: func(m obj) { m["threshold"] = 4 }, path: "$.threshold", msg: "is 4 but there are only 3 trustees"},
			{name: "missing threshold", mutate: func(m obj) { delete(m, "threshold") }, path: "$.threshold", msg: "missing required field"},
		},
		"min_counted": {
			{name: "zero", mutate: func(m obj) { m["min_counted"] = 0 }, path: "$.min_counted", msg: "must be at least 1: it is the least number of counted ballots"},
			{name: "over the roll", mutate: func(m obj) { m["min_counted"] = 5 }, path: "$.min_counted", msg: "is 5 but the roll has only 4 voters: the trustees could never decrypt the tally"},
			{name: "over voter_count", mutate: func(m obj) { delete(m, "voters"); m["voter_count"] = 3; m["min_counted"] = 4 }, path: "$.min_counted", msg: "is 4 but the roll has only 3 voters"},
			{name: "negative", mutate: func(m obj) { m["min_counted"] = -1 }, path: "$.min_counted", msg: "whole number"},
			{name: "huge", mutate: func(m obj) { m["min_counted"] = MaxVoters + 1 }, path: "$.min_counted", msg: "at most 10000000"},
			{name: "string", mutate: func(m obj) { m["min_counted"] = "3" }, path: "$.min_counted", msg: "must be a JSON number, not a string"},
			{name: "null", mutate: func(m obj) { m["min_counted"] = nil }, path: "$.min_counted", msg: "must be a JSON number, not null"},
		},
		"voters": {
			{name: "both", mutate: func(m obj) { m["voter_count"] = 10 }, path: "$.voter_count", msg: "not both"},
			{name: "neither", mutate: func(m obj) { delete(m, "voters") }, path: "$.voters", msg: "give voters"},
			{name: "empty roll", mutate: func(m obj) { m["voters"] = []any{} }, path: "$.voters", msg: "empty voter roll"},
			{name: "zero count", mutate: func(m obj) { delete(m, "voters"); m["voter_count"] = 0 }, path: "$.voter_count", msg: "must be at least 1"},
			{name: "huge count", mutate: func(m obj) { delete(m, "voters"); m["voter_count"] = MaxVoters + 1 }, path: "$.voter_count", msg: "at most 10000000"},
			{name: "duplicate voter", mutate: func(m obj) { m["voters"] = append(m["voters"].([]any), m["voters"].([]any)[2]) }, path: "$.voters[4]", msg: "duplicate credential key (also $.voters[2])"},
			{name: "bad voter", mutate: func(m obj) { m["voters"].([]any)[0] = b64(voter0[:31]) }, path: "$.voters[0]", msg: "must be 32 bytes, got 31"},
		},
	}
	for group, cases := range groups {
		for _, c := range cases {
			t.Run(group+"/"+c.name, func(t *testing.T) {
				data := []byte(c.raw)
				if c.raw == "" {
					data = mutateJSON(t, sample, c.mutate)
				}
				_, err := ParseManifest(data)
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("ParseManifest = %v, want a *ParseError", err)
				}
				for _, p := range pe.Problems {
					if p.Path == c.path && strings.Contains(p.Message, c.msg) {
						return
					}
				}
				t.Errorf("ParseManifest = %v\nwant a problem at %s containing %q", err, c.path, c.msg)
			})
		}
	}
}

// TestParseManifestAllProblems checks that every mistake is reported at
// once, in document order.
func TestParseManifestAllProblems(t *testing.T) {
	data := mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) {
		m["id"] = "Bad"
		contest(m, 1)["min_selections"] = 5
		trustee(m, 2)["sign_key"] = "AAAA"
		m["threshold"] = 9
		m["min_counted"] = 0
		m["voter_count"] = 3
		m["extra"] = true
	})
	_, err := ParseManifest(data)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseManifest = %v", err)
	}
	want := []string{"$.extra", "$.id", "$.contests[1].min_selections", "$.trustees[2].sign_key", "$.threshold", "$.min_counted", "$.voter_count"}
	var got []string
	for _, p := range pe.Problems {
		got = append(got, p.Path)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problem paths = %v, want %v\n%v", got, want, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "invalid manifest: 7 problems:\n\t$.extra: unknown field") {
		t.Errorf("Error() = %q", msg)
	}
}

func TestNewElectionAndBaseHash(t *testing.T) {
	m := sampleManifest(t)
	commitments := make([][]*crypto.Element, len(m.Trustees))
	joint := crypto.NewElement()
	for i := range commitments {
		for k := 0; k < m.Threshold; k++ {
			commitments[i] = append(commitments[i], crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(uint64(10*i+k+1))))
		}
		joint.Add(joint, commitments[i][0])
	}
	pk, _ := crypto.PublicKeyFromElement(joint)
	e, err := NewElection(m, pk, commitments)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute the base hash from its definition in docs/spec/ballot.md §1.5.
	mh, _ := m.Hash()
	msg := append([]byte("evote/v1/base-hash\x00"), mh[:]...)
	msg = append(msg, pk.Bytes()...)
	msg = append(msg, 0, 0, 0, 3)
	for _, cs := range commitments {
		msg = append(msg, 0, 0, 0, 2)
		for _, c := range cs {
			msg = append(msg, c.Bytes()...)
		}
	}
	if want := sha256.Sum256(msg); e.BaseHash != want || BaseHash(mh, pk, commitments) != want {
		t.Errorf("BaseHash = %x, want %x", e.BaseHash, want)
	}
	if e.ManifestHash != mh {
		t.Errorf("ManifestHash = %x, want %x", e.ManifestHash, mh)
	}
	if !e.Eligible(m.Voters[3]) || e.Eligible(m.Official) || e.Eligible(ed25519.PublicKey{1}) {
		t.Error("Eligible is wrong")
	}

	other, _ := crypto.PublicKeyFromElement(commitments[0][1])
	short := [][]*crypto.Element{commitments[0], commitments[1], commitments[2][:1]}
	for name, f := range map[string]func() error{
		"missing commitments": func() error { _, err := NewElection(m, pk, nil); return err },
		"short commitments":   func() error { _, err := NewElection(m, pk, short); return err },
		"wrong joint key":     func() error { _, err := NewElection(m, other, commitments); return err },
	} {
		if err := f(); err == nil {
			t.Errorf("NewElection with %s succeeded", name)
		}
	}
}

// torsionPoints returns the canonical encodings of the eight points of
// small order (the torsion subgroup of the curve), computed rather than
// copied: for a point P whose torsion component has order 8, ℓ·P generates
// the subgroup, and its multiples 0·ℓ·P … 7·ℓ·P are the eight points.
func torsionPoints(t testing.TB) [][]byte {
	t.Helper()
	// ℓ − 1 is the scalar −1; ScalarMult multiplies by its integer value.
	lMinus1 := edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), scalarOne())
	for i := 0; i < 100; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("evote test torsion %d", i)))
		p, err := new(edwards25519.Point).SetBytes(h[:])
		if err != nil {
			continue
		}
		gen := new(edwards25519.Point).ScalarMult(lMinus1, p)
		gen.Add(gen, p) // ℓ·P
		four := new(edwards25519.Point).Add(gen, gen)
		four.Add(four, four)
		if four.Add(four, four).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("8·ℓ·P is not the identity")
		}
		half := new(edwards25519.Point).Add(gen, gen)
		half.Add(half, half)
		if half.Equal(edwards25519.NewIdentityPoint()) == 1 {
			continue // ℓ·P has order 4 or less
		}
		var out [][]byte
		q := edwards25519.NewIdentityPoint()
		for range 8 {
			out = append(out, q.Bytes())
			q = new(edwards25519.Point).Add(q, gen)
		}
		return out
	}
	t.Fatal("no point with a torsion component of order 8 found")
	return nil
}

func scalarOne() *edwards25519.Scalar {
	one := make([]byte, 32)
	one[0] = 1
	s, err := edwards25519.NewScalar().SetCanonicalBytes(one)
	if err != nil {
		panic(err)
	}
	return s
}

// fieldP is the little-endian encoding of p = 2^255 − 19.
func fieldP() []byte {
	b := bytes.Repeat([]byte{0xff}, 32)
	b[0], b[31] = 0xed, 0x7f
	return b
}

// unreducedEncoding returns the encoding of y + p, for a small y: another
// encoding of the point(s) with y coordinate y, which SetBytes accepts.
func unreducedEncoding(y byte) []byte {
	b := fieldP()
	b[0] += y
	return b
}

// nonCanonicalPoint returns y + p for the smallest y > 1 that is the y
// coordinate of a point not of small order.
func nonCanonicalPoint(t testing.TB) []byte {
	t.Helper()
	for y := byte(2); y < 19; y++ {
		b := unreducedEncoding(y)
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil || new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
			continue
		}
		if bytes.Equal(p.Bytes(), b) {
			t.Fatalf("y = %d + p re-encodes to itself", y)
		}
		return b
	}
	t.Fatal("no y < 19 is the y coordinate of a point of large order")
	return nil
}

type weakKey struct {
	name string
	key  []byte
	msg  string // what the problem says
}

// weakEdKeys returns Ed25519 public keys that decode to curve points but
// must be refused: the eight small-order points, a non-canonical encoding
// of a point of large order, and non-canonical encodings of small-order
// points (refused for either reason).
func weakEdKeys(t testing.TB) []weakKey {
	t.Helper()
	const smallOrder, nonCanonical = "a small-order Ed25519 key: anyone could sign as it", "not in canonical encoding"
	var keys []weakKey
	for i, k := range torsionPoints(t) {
		keys = append(keys, weakKey{fmt.Sprintf("torsion point %d", i), k, smallOrder})
	}
	identitySigned := make([]byte, 32)
	identitySigned[0], identitySigned[31] = 1, 0x80
	return append(keys,
		weakKey{"y + p", nonCanonicalPoint(t), nonCanonical},
		weakKey{"y + p, sign bit set", withSignBit(nonCanonicalPoint(t)), nonCanonical},
		weakKey{"identity as 1 + p", unreducedEncoding(1), nonCanonical},
		weakKey{"identity with the sign bit set", identitySigned, smallOrder},
	)
}

func withSignBit(b []byte) []byte {
	b = bytes.Clone(b)
	b[31] |= 0x80
	return b
}

// TestTorsionPoints checks the computed small-order points against the
// encodings known from the literature.
func TestTorsionPoints(t *testing.T) {
	pts := torsionPoints(t)
	identity := make([]byte, 32)
	identity[0] = 1
	order2 := fieldP() // −1 = p − 1
	order2[0]--
	seen := map[string]bool{}
	for _, p := range pts {
		seen[string(p)] = true
	}
	if len(seen) != 8 || !seen[string(identity)] || !seen[string(order2)] {
		t.Fatalf("torsion points = %x, want 8 distinct, with %x and %x", pts, identity, order2)
	}
	if hex.EncodeToString(order2) != "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" {
		t.Fatalf("order-2 point = %x", order2)
	}
}

// TestWeakEdKeysRefused puts each weak key in each place of a manifest that
// holds an Ed25519 key, and in a credential file.
func TestWeakEdKeysRefused(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	places := []struct {
		path string
		set  func(m obj, key string)
	}{
		{"$.official", func(m obj, k string) { m["official"] = k }},
		{"$.trustees[1].sign_key", func(m obj, k string) { trustee(m, 1)["sign_key"] = k }},
		{"$.voters[3]", func(m obj, k string) { m["voters"].([]any)[3] = k }},
	}
	creds, err := GenerateCredentials("springfield-2026", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, wk := range weakEdKeys(t) {
		k := b64(wk.key)
		for _, pl := range places {
			t.Run(wk.name+"/"+pl.path, func(t *testing.T) {
				data := mutateJSON(t, sample, func(m obj) { pl.set(m, k) })
				wantProblem(t, data, pl.path, wk.msg)
			})
		}
		t.Run(wk.name+"/voter with an escape", func(t *testing.T) {
			// A JSON escape takes the roll parser off its fast path.
			data := mutateJSON(t, sample, func(m obj) { m["voters"].([]any)[2] = k })
			escaped := fmt.Sprintf(`"\u%04x%s"`, k[0], k[1:])
			data = bytes.Replace(data, []byte(`"`+k+`"`), []byte(escaped), 1)
			wantProblem(t, data, "$.voters[2]", wk.msg)
		})
		t.Run(wk.name+"/credential", func(t *testing.T) {
			c := *creds[0]
			c.Public = wk.key
			data, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseCredential(data)
			if err == nil || !strings.Contains(err.Error(), "public key: ") || !strings.Contains(err.Error(), wk.msg) {
				t.Fatalf("ParseCredential(%s) = %v, want a public key problem containing %q", data, err, wk.msg)
			}
		})
	}
}

// wantProblem fails unless ParseManifest(data) reports a problem at path
// whose message contains msg.
func wantProblem(t *testing.T, data []byte, path, msg string) {
	t.Helper()
	_, err := ParseManifest(data)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseManifest = %v, want a *ParseError", err)
	}
	for _, p := range pe.Problems {
		if p.Path == path && strings.Contains(p.Message, msg) {
			return
		}
	}
	t.Errorf("ParseManifest = %v\nwant a problem at %s containing %q", err, path, msg)
}

// TestCheckEdKeyMatchesDefinition checks checkEdKey's shortcut against
// its definition: a key is acceptable if and only if it decodes, its point
// re-encodes to it, and the point is not of small order.
func TestCheckEdKeyMatchesDefinition(t *testing.T) {
	var encs [][]byte
	for _, p := range torsionPoints(t) {
		encs = append(encs, p, withSignBit(p))
	}
	for y := byte(0); y < 19; y++ {
		encs = append(encs, unreducedEncoding(y), withSignBit(unreducedEncoding(y)))
	}
	for _, k := range rollKeys(64) {
		encs = append(encs, k, withSignBit(k))
	}
	for i := range 64 {
		h := sha256.Sum256([]byte(fmt.Sprintf("evote test encoding %d", i)))
		encs = append(encs, h[:])
	}
	decoded := 0
	for _, b := range encs {
		p, err := new(edwards25519.Point).SetBytes(b)
		got := checkEdKey(b)
		if err != nil {
			if got == "" {
				t.Errorf("checkEdKey(%x) accepts a non-point", b)
			}
			continue
		}
		decoded++
		small := new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1
		want := bytes.Equal(p.Bytes(), b) && !small
		if (got == "") != want {
			t.Errorf("checkEdKey(%x) = %q, want acceptance %v (canonical %v, small order %v)", b, got, want, bytes.Equal(p.Bytes(), b), small)
		}
	}
	if decoded < 100 {
		t.Errorf("only %d of %d encodings decode", decoded, len(encs))
	}
}

// TestMinCounted checks min_counted's default, its bounds against the
// roll or voter_count, and its place in the canonical form.
func TestMinCounted(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	roll := func(n int) []any {
		var out []any
		for _, k := range rollKeys(n) {
			out = append(out, b64(k))
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		mutate func(obj)
		want   int
	}{
		{"default, 4 voters", func(obj) {}, 4},
		{"default, 12 voters", func(m obj) { m["voters"] = roll(12) }, 10},
		{"default, 10 voters", func(m obj) { m["voters"] = roll(10) }, 10},
		{"default, 1 voter", func(m obj) { m["voters"] = roll(1) }, 1},
		{"default, voter_count 5", func(m obj) { delete(m, "voters"); m["voter_count"] = 5 }, 5},
		{"default, voter_count 25", func(m obj) { delete(m, "voters"); m["voter_count"] = 25 }, 10},
		{"explicit 1", func(m obj) { m["min_counted"] = 1 }, 1},
		{"explicit, the whole roll", func(m obj) { m["min_counted"] = 4 }, 4},
		{"explicit, over the default", func(m obj) { m["voters"] = roll(30); m["min_counted"] = 25 }, 25},
		{"explicit, with voter_count", func(m obj) { delete(m, "voters"); m["voter_count"] = 30; m["min_counted"] = 30 }, 30},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest(mutateJSON(t, sample, tt.mutate))
			if err != nil {
				t.Fatal(err)
			}
			if m.MinCounted != tt.want {
				t.Fatalf("MinCounted = %d, want %d", m.MinCounted, tt.want)
			}
			if m.VoterCount > 0 {
				if _, err := m.FillVoters(); err != nil {
					t.Fatal(err)
				}
				if m.MinCounted != tt.want {
					t.Fatalf("MinCounted after FillVoters = %d, want %d", m.MinCounted, tt.want)
				}
			}
			c, err := m.MarshalCanonical()
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`,"threshold":2,"min_counted":%d,"voters":[`, tt.want); !bytes.Contains(c, []byte(want)) {
				t.Fatalf("canonical form lacks %s", want)
			}
			m2, err := ParseCanonicalManifest(c)
			if err != nil {
				t.Fatal(err)
			}
			if m2.MinCounted != tt.want {
				t.Fatalf("MinCounted after the canonical round trip = %d, want %d", m2.MinCounted, tt.want)
			}
		})
	}

	t.Run("zero in Go is the default", func(t *testing.T) {
		m := sampleManifest(t)
		c, _ := m.MarshalCanonical()
		m.MinCounted = 0
		if c0, err := m.MarshalCanonical(); err != nil || !bytes.Equal(c0, c) {
			t.Fatalf("MarshalCanonical with MinCounted 0 = %s, %v, want %s", c0, err, c)
		}
		m.Voters = rollKeys(40)
		c, _ = m.MarshalCanonical()
		if !bytes.Contains(c, []byte(`"min_counted":10,`)) {
			t.Fatalf("MarshalCanonical with MinCounted 0 and 40 voters = %s, want min_counted 10", c)
		}
		m = sampleManifest(t)
		m.Voters, m.MinCounted, m.VoterCount = nil, 0, 7
		if _, err := m.FillVoters(); err != nil || m.MinCounted != 7 {
			t.Fatalf("FillVoters of 7 left MinCounted %d (%v), want 7", m.MinCounted, err)
		}
	})

	t.Run("canonical form requires it in place", func(t *testing.T) {
		c := readFile(t, "testdata/manifest-sample.canonical.json")
		without := bytes.Replace(c, []byte(`"min_counted":4,`), nil, 1)
		for name, bad := range map[string][]byte{
			"missing":          without,
			"before threshold": bytes.Replace(c, []byte(`"threshold":2,"min_counted":4,`), []byte(`"min_counted":4,"threshold":2,`), 1),
			"at the end":       append(bytes.TrimSuffix(without, []byte("}")), `,"min_counted":4}`...),
		} {
			if bytes.Equal(bad, c) {
				t.Fatalf("%s: mutation did nothing", name)
			}
			if _, err := ParseCanonicalManifest(bad); err == nil {
				t.Errorf("%s: ParseCanonicalManifest accepted %s", name, bad)
			}
		}
	})
}

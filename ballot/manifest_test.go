package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/edwards25519"

	"github.com/evote/evote/crypto"
)

func TestParseSampleManifest(t *testing.T) {
	m := sampleManifest(t)
	if m.ID != "springfield-2026" || len(m.Contests) != 5 || len(m.Trustees) != 3 || m.Threshold != 2 {
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
	if got := b64(m.Registrar); got != "sjK5oHc6v6uRQPj08F9640wDJQ6WZI0oE2YkKGjktw4=" {
		t.Errorf("Registrar = %s", got)
	}
	// min_counted is left out: the floor is min(10, roll size), known once
	// the roll closes.
	if m.MinCounted != 0 {
		t.Errorf("MinCounted = %d, want 0 (left out)", m.MinCounted)
	}
	if f4, f100 := m.PrivacyFloor(4), m.PrivacyFloor(100); f4 != 4 || f100 != 10 {
		t.Errorf("PrivacyFloor(4), PrivacyFloor(100) = %d, %d, want 4, 10", f4, f100)
	}
}

// TestGoldenManifest checks the canonical encoding and hash of the
// sample; their values are the vector "sample" of
// docs/spec/vectors/manifest.txt (TestManifestVectors).
func TestGoldenManifest(t *testing.T) {
	m := sampleManifest(t)
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	h := ManifestHash(c)
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
	// Canonical form details: the registrar right after the official, and
	// the threshold last (no min_counted, no roll, no trust policy).
	for _, want := range []string{
		`"option_max":1,`,
		`"title":"Springfield municipal election & referendum, 2026"`,
		`,"official":"nI14V5b4+BmIVaKheeRUqH52jZE9Xr4xH6URRZ8zaEA=","registrar":"sjK5oHc6v6uRQPj08F9640wDJQ6WZI0oE2YkKGjktw4=","opens":`,
	} {
		if !bytes.Contains(c, []byte(want)) {
			t.Errorf("canonical form lacks %s", want)
		}
	}
	if !bytes.HasSuffix(c, []byte(`],"threshold":2}`)) {
		t.Errorf("canonical form does not end with the threshold: …%s", c[max(0, len(c)-40):])
	}
	for _, absent := range []string{`"kind":""`, `"min_counted"`, `"voters"`, `"voter_count"`} {
		if bytes.Contains(c, []byte(absent)) {
			t.Errorf("canonical form has %s", absent)
		}
	}
}

func TestCredentialFile(t *testing.T) {
	const voter = "alice.smith+2026@example.org"
	cred, err := NewCredential("springfield-2026", voter)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCredential("springfield-2026", voter)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Public.Equal(other.Public) {
		t.Fatal("two credentials are equal")
	}
	if cred.Voter != voter || cred.Election != "springfield-2026" {
		t.Fatalf("NewCredential = %+v", cred)
	}
	if e := cred.Entry(); e.Voter != voter || !e.Key.Equal(cred.Public) {
		t.Errorf("Entry() = %+v", e)
	}
	data, err := cred.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := `{"version":"evote/v1","election":"springfield-2026","voter":"alice.smith+2026@example.org","public":"` + b64(cred.Public) + `","private":"`
	if !bytes.HasPrefix(data, []byte(wantPrefix)) {
		t.Errorf("Marshal() = %s\nwant it to start %s", data, wantPrefix)
	}
	c, err := ParseCredential(data)
	if err != nil {
		t.Fatalf("ParseCredential(%s) = %v", data, err)
	}
	if !c.Public.Equal(cred.Public) || !c.Private.Equal(cred.Private) || c.Election != "springfield-2026" || c.Voter != voter {
		t.Error("credential round trip changed it")
	}
	if again, _ := c.Marshal(); !bytes.Equal(again, data) {
		t.Error("credential round trip changed the encoding")
	}
	bad := map[string][]byte{
		"mismatched public key": mutateJSON(t, data, func(m map[string]any) { m["public"] = b64(other.Public) }),
		"unknown field":         mutateJSON(t, data, func(m map[string]any) { m["note"] = "x" }),
		"wrong version":         mutateJSON(t, data, func(m map[string]any) { m["version"] = "evote/v0" }),
		"short private key":     mutateJSON(t, data, func(m map[string]any) { m["private"] = "AAAA" }),
		"not canonical":         append(append([]byte{}, data...), ' '),
		"reordered":             mutateJSON(t, data, func(map[string]any) {}),
		"no voter":              mutateJSON(t, data, func(m map[string]any) { delete(m, "voter") }),
		"null voter":            bytes.Replace(data, []byte(`"`+voter+`"`), []byte("null"), 1),
	}
	for _, id := range invalidVoterIDs() {
		bad["voter "+fmt.Sprintf("%q", id)] = bytes.Replace(data, []byte(`"voter":"`+voter+`"`), []byte(`"voter":`+jsonString(t, id)), 1)
	}
	for name, d := range bad {
		if bytes.Equal(d, data) {
			t.Fatalf("%s: mutation did nothing", name)
		}
		if _, err := ParseCredential(d); err == nil {
			t.Errorf("%s: ParseCredential(%s) succeeded", name, d)
		}
	}
	for _, id := range invalidVoterIDs() {
		if _, err := NewCredential("x", id); err == nil || !strings.Contains(err.Error(), "not a voter identifier") {
			t.Errorf("NewCredential(%q) = %v, want a voter identifier error", id, err)
		}
	}
	for _, id := range validVoterIDs() {
		if c, err := NewCredential("x", id); err != nil || c.Voter != id {
			t.Errorf("NewCredential(%q) = %v", id, err)
		}
	}
	if _, err := NewCredential("Bad Id", "alice"); err == nil {
		t.Error("NewCredential with a bad election id succeeded")
	}
}

// validVoterIDs returns voter identifiers ValidVoterID must accept.
func validVoterIDs() []string {
	return []string{"a", "Z", "7", "alice", "Alice.Smith", "voter-0001", "v_1", "alice@example.org", "alice+2026@example.org", "...", "-", "@", "+", "_",
		strings.Repeat("x", MaxVoterIDLen), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@+"[:MaxVoterIDLen]}
}

// invalidVoterIDs returns strings ValidVoterID must refuse.
func invalidVoterIDs() []string {
	return []string{"", strings.Repeat("x", MaxVoterIDLen+1), "alice smith", " alice", "alice\n", "a/b", "a:b", "a,b", `a"b`, `a\b`, "a=b", "a#b", "a*b", "é", "alice\x00", "a\tb", "ａ"}
}

// jsonString returns s as a JSON string.
func jsonString(t testing.TB, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidVoterID(t *testing.T) {
	for _, id := range validVoterIDs() {
		if !ValidVoterID(id) {
			t.Errorf("ValidVoterID(%q) = false", id)
		}
	}
	for _, id := range invalidVoterIDs() {
		if ValidVoterID(id) {
			t.Errorf("ValidVoterID(%q) = true", id)
		}
	}
	// Every byte: exactly the 67 of A-Z a-z 0-9 . _ - @ + are allowed.
	n := 0
	for c := 0; c < 256; c++ {
		if ValidVoterID(string([]byte{byte(c)})) {
			n++
			if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@+", rune(c)) {
				t.Errorf("ValidVoterID accepts byte %#x", c)
			}
		}
	}
	if n != 67 {
		t.Errorf("ValidVoterID accepts %d single bytes, want 67", n)
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

// styles returns the styles member of one style "all" of the contests ids.
func styles(ids ...string) []any {
	cs := make([]any, len(ids))
	for i, id := range ids {
		cs[i] = id
	}
	return []any{obj{"id": "all", "contests": cs}}
}
func trustee(m obj, i int) obj { return m["trustees"].([]any)[i].(obj) }
func options(m obj, i int) []any {
	return contest(m, i)["options"].([]any)
}

// TestParseManifestInvalid gives, for each kind of mistake, a mutation of
// the sample and the problem ParseManifest must report.
func TestParseManifestInvalid(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	badPoint := b64(notAPoint(t))
	smallOrder := b64(torsionPoints(t)[3])
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
		"translations": {
			{name: "translations without language", mutate: func(m obj) { m["translations"] = obj{"fr": "Élection"} }, path: "$.translations", msg: "translations need $.language"},
			{name: "not a tag", mutate: func(m obj) { m["language"] = "en"; m["translations"] = obj{"french": "Élection"} }, path: `$.translations["french"]`, msg: "not a BCP 47 language tag"},
			{name: "tag not canonical", mutate: func(m obj) { m["language"] = "en"; contest(m, 0)["translations"] = obj{"FR-ca": "Maire"} }, path: `$.contests[0].translations["FR-ca"]`, msg: `write "fr-CA"`},
			{name: "language not canonical", mutate: func(m obj) { m["language"] = "en_US" }, path: "$.language", msg: `write "en-US"`},
			{name: "undetermined language", mutate: func(m obj) { m["language"] = "und" }, path: "$.language", msg: "names no language"},
			{name: "translation into the title's language", mutate: func(m obj) { m["language"] = "en"; m["translations"] = obj{"en": "Election"} }, path: `$.translations["en"]`, msg: "is the language of the title itself"},
			{name: "empty translations", mutate: func(m obj) { m["language"] = "en"; m["translations"] = obj{} }, path: "$.translations", msg: "leave translations out"},
			{name: "invisible character", mutate: func(m obj) {
				m["language"] = "en"
				options(m, 0)[1].(obj)["translations"] = obj{"es": "Joe \u202eQuimby"}
			}, path: `$.contests[0].options[1].translations["es"]`, msg: "U+202E"},
			{name: "two options alike in one language", mutate: func(m obj) {
				m["language"] = "en"
				options(m, 4)[0].(obj)["translations"] = obj{"fr": "Oui"}
				options(m, 4)[1].(obj)["translations"] = obj{"fr": "Oui"}
			}, path: `$.contests[4].options[1].translations["fr"]`, msg: `duplicate option title "Oui" in fr`},
			{name: "translations not an object", mutate: func(m obj) { m["language"] = "en"; m["translations"] = []any{} }, path: "$.translations", msg: "must be a JSON object"},
		},
		"version": {
			{name: "wrong version", mutate: func(m obj) { m["version"] = "evote/v2" }, path: "$.version", msg: `must be "evote/v1"`},
		},
		"styles": {
			{name: "empty styles", mutate: func(m obj) { m["styles"] = []any{} }, path: "$.styles", msg: "leave styles out"},
			{name: "unknown contest", mutate: func(m obj) { m["styles"] = styles("mayor", "sheriff") }, path: "$.styles[0].contests[1]", msg: `no contest has the id "sheriff"`},
			{name: "contest twice", mutate: func(m obj) { m["styles"] = styles("mayor", "mayor") }, path: "$.styles[0].contests[1]", msg: `contest "mayor" is listed twice`},
			{name: "out of order", mutate: func(m obj) { m["styles"] = styles("council", "mayor") }, path: "$.styles[0].contests[1]", msg: "out of order"},
			{name: "no contests", mutate: func(m obj) { m["styles"] = styles() }, path: "$.styles[0].contests", msg: "needs at least one"},
			{name: "duplicate id", mutate: func(m obj) { m["styles"] = append(styles("mayor"), styles("council")...) }, path: "$.styles[1].id", msg: `duplicate style id "all" (also $.styles[0])`},
			{name: "bad id", mutate: func(m obj) { m["styles"] = styles("mayor"); m["styles"].([]any)[0].(obj)["id"] = "North" }, path: "$.styles[0].id", msg: "not a valid id"},
			{name: "unknown field", mutate: func(m obj) { m["styles"] = styles("mayor"); m["styles"].([]any)[0].(obj)["name"] = "x" }, path: "$.styles[0].name", msg: "unknown field"},
			{name: "missing contests", mutate: func(m obj) { m["styles"] = []any{obj{"id": "all"}} }, path: "$.styles[0].contests", msg: "missing required field"},
			{name: "a contest on no style", mutate: func(m obj) { m["styles"] = styles("mayor") }, path: "$.contests[1]", msg: `contest "council" is on no ballot style`},
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
			{name: "url base64", mutate: func(m obj) { trustee(m, 0)["sign_key"] = "jXZTkgzarIRR2VdQQf_Deec_TM9d4KicavoDHf4xwAA=" }, path: "$.trustees[0].sign_key", msg: "not standard base64"},
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
			{name: "unknown kind", mutate: func(m obj) { contest(m, 0)["kind"] = "condorcet" }, path: "$.contests[0].kind", msg: `unknown kind "condorcet"`},
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
			{name: "negative", mutate: func(m obj) { m["min_counted"] = -1 }, path: "$.min_counted", msg: "whole number"},
			{name: "fraction", mutate: func(m obj) { m["min_counted"] = 2.5 }, path: "$.min_counted", msg: "whole number"},
			{name: "huge", mutate: func(m obj) { m["min_counted"] = MaxMinCounted + 1 }, path: "$.min_counted", msg: "at most 1099511627776"},
			{name: "over 2^64", raw: strings.Replace(string(sample), `"threshold": 2`, `"threshold": 2, "min_counted": 18446744073709551616`, 1), path: "$.min_counted", msg: "whole number from 0 to 1099511627776"},
			{name: "string", mutate: func(m obj) { m["min_counted"] = "3" }, path: "$.min_counted", msg: "must be a JSON number, not a string"},
			{name: "null", mutate: func(m obj) { m["min_counted"] = nil }, path: "$.min_counted", msg: "must be a JSON number, not null"},
		},
		"registrar": {
			{name: "missing", mutate: func(m obj) { delete(m, "registrar") }, path: "$.registrar", msg: "missing required field"},
			{name: "the official", mutate: func(m obj) { m["registrar"] = m["official"] }, path: "$.registrar", msg: "is the official's key: the registrar, who decides who may vote, must be someone else"},
			{name: "a trustee", mutate: func(m obj) { m["registrar"] = trustee(m, 1)["sign_key"] }, path: "$.registrar", msg: "is the key of $.trustees[1]: the registrar must be someone else"},
			{name: "the last trustee", mutate: func(m obj) { m["registrar"] = trustee(m, 2)["sign_key"] }, path: "$.registrar", msg: "is the key of $.trustees[2]"},
			{name: "not a point", mutate: func(m obj) { m["registrar"] = badPoint }, path: "$.registrar", msg: "not a valid Ed25519 public key (not a curve point)"},
			{name: "small order", mutate: func(m obj) { m["registrar"] = smallOrder }, path: "$.registrar", msg: "a small-order Ed25519 key: anyone could sign as it"},
			{name: "short", mutate: func(m obj) { m["registrar"] = "AAAA" }, path: "$.registrar", msg: "Ed25519 public key must be 32 bytes, got 3"},
			{name: "url base64", mutate: func(m obj) { m["registrar"] = "sjK5oHc6v6uRQPj08F9640wDJQ6WZI0oE2YkKGjktw4_" }, path: "$.registrar", msg: "not standard base64"},
			{name: "not a string", mutate: func(m obj) { m["registrar"] = []any{m["registrar"]} }, path: "$.registrar", msg: "must be a JSON string, not an array"},
			{name: "null", mutate: func(m obj) { m["registrar"] = nil }, path: "$.registrar", msg: "must be a JSON string, not null"},
		},
		"removed fields": {
			// The roll is no longer part of the definition (docs/spec/ballot.md §6).
			{name: "voters", mutate: func(m obj) { m["voters"] = []any{m["registrar"]} }, path: "$.voters", msg: `unknown field "voters"`},
			{name: "voter_count", mutate: func(m obj) { m["voter_count"] = 4 }, path: "$.voter_count", msg: `unknown field "voter_count"`},
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
		m["registrar"] = "AAAA"
		m["extra"] = true
	})
	_, err := ParseManifest(data)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseManifest = %v", err)
	}
	want := []string{"$.extra", "$.id", "$.registrar", "$.contests[1].min_selections", "$.trustees[2].sign_key", "$.threshold", "$.min_counted"}
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

// fixedCommitments returns deterministic Feldman commitments for n
// trustees and threshold t (the coefficient k of trustee i is 10i+k+1) and
// their joint key.
func fixedCommitments(t testing.TB, n, threshold int) ([][]*crypto.Element, *crypto.PublicKey) {
	t.Helper()
	commitments := make([][]*crypto.Element, n)
	joint := crypto.NewElement()
	for i := range commitments {
		for k := 0; k < threshold; k++ {
			commitments[i] = append(commitments[i], crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(uint64(10*i+k+1))))
		}
		joint.Add(joint, commitments[i][0])
	}
	pk, err := crypto.PublicKeyFromElement(joint)
	if err != nil {
		t.Fatal(err)
	}
	return commitments, pk
}

// baseHashOf computes the base hash from its definition in
// docs/spec/ballot.md §1.5, independently of BaseHash.
func baseHashOf(mh [32]byte, rollSize uint64, rollHash [32]byte, pk *crypto.PublicKey, commitments [][]*crypto.Element) [32]byte {
	msg := append([]byte("evote/v1/base-hash\x00"), mh[:]...)
	msg = binary.BigEndian.AppendUint64(msg, rollSize)
	msg = append(msg, rollHash[:]...)
	msg = append(msg, pk.Bytes()...)
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(commitments)))
	for _, cs := range commitments {
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(cs)))
		for _, c := range cs {
			msg = append(msg, c.Bytes()...)
		}
	}
	return sha256.Sum256(msg)
}

func TestNewElectionAndBaseHash(t *testing.T) {
	m := sampleManifest(t)
	mh, _ := m.Hash()
	vs := voters(4)
	var entries []RollEntry
	for _, v := range vs {
		entries = append(entries, v.Entry())
	}
	roll, err := RollOf(mh, entries)
	if err != nil {
		t.Fatal(err)
	}
	commitments, pk := fixedCommitments(t, len(m.Trustees), m.Threshold)
	e, err := NewElection(m, roll, pk, commitments)
	if err != nil {
		t.Fatal(err)
	}
	if want := baseHashOf(mh, 4, roll.Hash(), pk, commitments); e.BaseHash != want || BaseHash(mh, roll, pk, commitments) != want {
		t.Errorf("BaseHash = %x, want %x", e.BaseHash, want)
	}
	if e.ManifestHash != mh || e.Roll != roll || e.PublicKey != pk || e.Manifest != m {
		t.Errorf("NewElection = %+v", e)
	}
	for i, v := range vs {
		if !e.Eligible(v.Public) {
			t.Errorf("voter %d is not eligible", i)
		}
	}
	if e.Eligible(m.Official) || e.Eligible(m.Registrar) || e.Eligible(ed25519.PublicKey{1}) || e.Eligible(nil) || e.Eligible(append(bytes.Clone(vs[0].Public), 0)) {
		t.Error("Eligible accepts a key not on the roll")
	}

	other, _ := crypto.PublicKeyFromElement(commitments[0][1])
	short := [][]*crypto.Element{commitments[0], commitments[1], commitments[2][:1]}
	for name, tt := range map[string]struct {
		f    func() error
		want string
	}{
		"missing commitments": {func() error { _, err := NewElection(m, roll, pk, nil); return err }, "0 commitment lists for 3 trustees"},
		"short commitments":   {func() error { _, err := NewElection(m, roll, pk, short); return err }, "has 1 commitments, want threshold 2"},
		"wrong joint key":     {func() error { _, err := NewElection(m, roll, other, commitments); return err }, "joint key is not the sum"},
		"no roll":             {func() error { _, err := NewElection(m, nil, pk, commitments); return err }, "the voter roll is not closed"},
		"another election's roll": {func() error {
			r, err := RollOf([32]byte{9}, entries[:1])
			if err != nil {
				return err
			}
			_, err = NewElection(m, r, pk, commitments)
			return err
		}, "another election's"},
	} {
		if err := tt.f(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewElection with %s = %v, want an error containing %q", name, err, tt.want)
		}
	}
}

// TestBaseHashBindsRoll: every change to the roll (an identifier, a key,
// the order, one entry more or less) changes the base hash, so that a
// ballot proof made for one roll does not verify against another; a roll
// built for another election is refused.
func TestBaseHashBindsRoll(t *testing.T) {
	m := sampleManifest(t)
	mh, _ := m.Hash()
	commitments, pk := fixedCommitments(t, len(m.Trustees), m.Threshold)
	base := make([]RollEntry, 4)
	for i, v := range voters(4) {
		base[i] = v.Entry()
	}
	variant := func(f func([]RollEntry) []RollEntry) []RollEntry { return f(slices.Clone(base)) }
	otherKey, _ := testKey("another voter")
	rolls := map[string]struct {
		election [32]byte
		entries  []RollEntry
	}{
		"base":                {mh, base},
		"one voter id":        {mh, variant(func(es []RollEntry) []RollEntry { es[2].Voter = "voter-2b"; return es })},
		"one key":             {mh, variant(func(es []RollEntry) []RollEntry { es[2].Key = otherKey; return es })},
		"two entries swapped": {mh, variant(func(es []RollEntry) []RollEntry { es[1], es[2] = es[2], es[1]; return es })},
		"ids swapped":         {mh, variant(func(es []RollEntry) []RollEntry { es[1].Voter, es[2].Voter = es[2].Voter, es[1].Voter; return es })},
		"one entry less":      {mh, base[:3]},
		"one entry more":      {mh, append(slices.Clone(base), RollEntry{Voter: "voter-4", Key: otherKey})},
		"empty":               {mh, nil},
		"another election":    {sha256.Sum256([]byte("another manifest")), base},
	}
	seen := map[[32]byte]string{}
	for name, r := range rolls {
		roll, err := RollOf(r.election, r.entries)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e, err := NewElection(m, roll, pk, commitments)
		if r.election != mh {
			// A roll built for another election is refused outright.
			if err == nil {
				t.Errorf("%s: NewElection took the roll", name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := baseHashOf(mh, uint64(len(r.entries)), roll.Hash(), pk, commitments); e.BaseHash != want {
			t.Errorf("%s: BaseHash = %x, want %x", name, e.BaseHash, want)
		}
		if prev, dup := seen[e.BaseHash]; dup {
			t.Errorf("rolls %q and %q give the same base hash", prev, name)
		}
		seen[e.BaseHash] = name
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
// holds an Ed25519 key, in a credential file, in a roll record and in a
// registration request.
func TestWeakEdKeysRefused(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	places := []struct {
		path string
		set  func(m obj, key string)
	}{
		{"$.official", func(m obj, k string) { m["official"] = k }},
		{"$.registrar", func(m obj, k string) { m["registrar"] = k }},
		{"$.trustees[1].sign_key", func(m obj, k string) { trustee(m, 1)["sign_key"] = k }},
	}
	cred, err := NewCredential("springfield-2026", "alice")
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
		t.Run(wk.name+"/registrar with an escape", func(t *testing.T) {
			// A JSON escape in the string: the key is checked on its
			// decoded value.
			data := mutateJSON(t, sample, func(m obj) { m["registrar"] = k })
			escaped := fmt.Sprintf(`"\u%04x%s"`, k[0], k[1:])
			data = bytes.Replace(data, []byte(`"`+k+`"`), []byte(escaped), 1)
			wantProblem(t, data, "$.registrar", wk.msg)
		})
		t.Run(wk.name+"/credential", func(t *testing.T) {
			c := *cred
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
		t.Run(wk.name+"/roll entry", func(t *testing.T) {
			c := &RollChunk{Election: [32]byte{1}, First: 10, Voters: []RollEntry{cred.Entry(), {Voter: "bob", Key: wk.key}}}
			_, err := ParseRollChunk(c.Marshal())
			if err == nil || !strings.Contains(err.Error(), "roll: entry 11: key: ") || !strings.Contains(err.Error(), wk.msg) {
				t.Fatalf("ParseRollChunk(%s) = %v, want a problem with entry 11's key containing %q", c.Marshal(), err, wk.msg)
			}
		})
		t.Run(wk.name+"/registration", func(t *testing.T) {
			r := NewRegistration(cred, [32]byte{1})
			r.Key = wk.key
			_, err := ParseRegistration(r.Marshal())
			if err == nil || !strings.Contains(err.Error(), "key: ") || !strings.Contains(err.Error(), wk.msg) {
				t.Fatalf("ParseRegistration(%s) = %v, want a key problem containing %q", r.Marshal(), err, wk.msg)
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

// TestMinCounted checks min_counted: optional, left out of the canonical
// form when absent (the floor is then min(10, roll size)), kept when given.
func TestMinCounted(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")

	t.Run("absent", func(t *testing.T) {
		m, err := ParseManifest(sample)
		if err != nil {
			t.Fatal(err)
		}
		if m.MinCounted != 0 {
			t.Fatalf("MinCounted = %d, want 0", m.MinCounted)
		}
		c, err := m.MarshalCanonical()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(c, []byte("min_counted")) {
			t.Fatalf("canonical form has min_counted: %s", c)
		}
		m2, err := ParseCanonicalManifest(c)
		if err != nil || m2.MinCounted != 0 {
			t.Fatalf("canonical round trip: %v, MinCounted %d", err, m2.MinCounted)
		}
		for _, tt := range []struct{ roll, want int64 }{{0, 0}, {1, 1}, {4, 4}, {9, 9}, {10, 10}, {11, 10}, {100, 10}, {1 << 40, 10}} {
			if got := m.PrivacyFloor(tt.roll); got != tt.want {
				t.Errorf("PrivacyFloor(%d) = %d, want %d", tt.roll, got, tt.want)
			}
		}
	})

	for _, n := range []int{1, 4, 10, 25, 1_000_000, MaxMinCounted} {
		t.Run(fmt.Sprintf("explicit %d", n), func(t *testing.T) {
			m, err := ParseManifest(mutateJSON(t, sample, func(m obj) { m["min_counted"] = n }))
			if err != nil {
				t.Fatal(err)
			}
			if m.MinCounted != n {
				t.Fatalf("MinCounted = %d, want %d", m.MinCounted, n)
			}
			// An explicit floor does not depend on the roll; that it is no
			// more than the roll size is checked when the roll closes.
			for _, roll := range []int64{1, 4, 100} {
				if got := m.PrivacyFloor(roll); got != int64(n) {
					t.Errorf("PrivacyFloor(%d) = %d, want %d", roll, got, n)
				}
			}
			c, err := m.MarshalCanonical()
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`],"threshold":2,"min_counted":%d}`, n); !bytes.HasSuffix(c, []byte(want)) {
				t.Fatalf("canonical form does not end with %s: %s", want, c)
			}
			m2, err := ParseCanonicalManifest(c)
			if err != nil {
				t.Fatal(err)
			}
			if m2.MinCounted != n {
				t.Fatalf("MinCounted after the canonical round trip = %d, want %d", m2.MinCounted, n)
			}
		})
	}

	t.Run("explicit 0 is an error", func(t *testing.T) {
		wantProblem(t, mutateJSON(t, sample, func(m obj) { m["min_counted"] = 0 }), "$.min_counted", "must be at least 1")
		c := sampleCanonical(t)
		zero := bytes.Replace(c, []byte(`"threshold":2}`), []byte(`"threshold":2,"min_counted":0}`), 1)
		if _, err := ParseCanonicalManifest(zero); err == nil || !strings.Contains(err.Error(), "$.min_counted: must be at least 1") {
			t.Errorf("ParseCanonicalManifest(%s) = %v, want a min_counted problem", zero, err)
		}
	})

	t.Run("zero in Go is absent", func(t *testing.T) {
		m := sampleManifest(t)
		plain, _ := m.MarshalCanonical()
		m.MinCounted = 7
		c, _ := m.MarshalCanonical()
		if !bytes.HasSuffix(c, []byte(`"threshold":2,"min_counted":7}`)) {
			t.Fatalf("MarshalCanonical with MinCounted 7 = %s", c)
		}
		m.MinCounted = 0
		if c0, err := m.MarshalCanonical(); err != nil || !bytes.Equal(c0, plain) {
			t.Fatalf("MarshalCanonical with MinCounted 0 = %s, %v, want %s", c0, err, plain)
		}
	})

	t.Run("canonical form requires it in place", func(t *testing.T) {
		c := sampleCanonical(t)
		with := bytes.Replace(c, []byte(`"threshold":2}`), []byte(`"threshold":2,"min_counted":4}`), 1)
		if _, err := ParseCanonicalManifest(with); err != nil {
			t.Fatalf("ParseCanonicalManifest(%s) = %v", with, err)
		}
		for name, bad := range map[string][]byte{
			"before threshold": bytes.Replace(c, []byte(`"threshold":2}`), []byte(`"min_counted":4,"threshold":2}`), 1),
			"first":            bytes.Replace(c, []byte(`{"version":`), []byte(`{"min_counted":4,"version":`), 1),
			"as a string":      bytes.Replace(with, []byte(`"min_counted":4`), []byte(`"min_counted":"4"`), 1),
			"with a fraction":  bytes.Replace(with, []byte(`"min_counted":4`), []byte(`"min_counted":4.0`), 1),
			"with an exponent": bytes.Replace(with, []byte(`"min_counted":4`), []byte(`"min_counted":4e0`), 1),
			"with a space":     bytes.Replace(with, []byte(`"min_counted":4`), []byte(`"min_counted": 4`), 1),
		} {
			if bytes.Equal(bad, c) || bytes.Equal(bad, with) {
				t.Fatalf("%s: mutation did nothing", name)
			}
			if _, err := ParseCanonicalManifest(bad); err == nil {
				t.Errorf("%s: ParseCanonicalManifest accepted %s", name, bad)
			}
		}
	})
}

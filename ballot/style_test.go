package ballot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
)

// styledManifest returns the sample manifest with three ballot styles:
// "city" (mayor, council, monorail), "county" (parks, budget, monorail) and
// "all" (every contest).
func styledManifest(t testing.TB) *Manifest {
	t.Helper()
	m := sampleManifest(t)
	m.Styles = []Style{
		{ID: "city", Contests: []string{"mayor", "council", "monorail"}},
		{ID: "county", Contests: []string{"parks", "budget", "monorail"}},
		{ID: "all", Contests: []string{"mayor", "council", "parks", "budget", "monorail"}},
	}
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCanonicalManifest(c)
	if err != nil {
		t.Fatalf("ParseCanonicalManifest(styled) = %v", err)
	}
	return back
}

func TestManifestStyles(t *testing.T) {
	m := styledManifest(t)
	for style, want := range map[string][]int{"city": {0, 1, 4}, "county": {2, 3, 4}, "all": {0, 1, 2, 3, 4}} {
		if got, err := m.StyleContests(style); err != nil || !slices.Equal(got, want) {
			t.Errorf("StyleContests(%q) = %v, %v, want %v", style, got, err, want)
		}
	}
	for _, style := range []string{"", "east"} {
		if _, err := m.StyleContests(style); !errors.Is(err, ErrStyle) {
			t.Errorf("StyleContests(%q) = %v, want ErrStyle", style, err)
		}
	}
	plain := sampleManifest(t)
	if got, err := plain.StyleContests(""); err != nil || len(got) != len(plain.Contests) {
		t.Errorf("StyleContests(\"\") without styles = %v, %v, want every contest", got, err)
	}
	if _, err := plain.StyleContests("city"); !errors.Is(err, ErrStyle) {
		t.Errorf("StyleContests(\"city\") without styles = %v, want ErrStyle", err)
	}
	// The canonical form lists the styles after the contests.
	c, _ := m.MarshalCanonical()
	if !bytes.Contains(c, []byte(`],"styles":[{"id":"city","contests":["mayor","council","monorail"]},`)) {
		t.Errorf("canonical manifest does not list the styles after the contests: %s", c)
	}
	if c2, _ := plain.MarshalCanonical(); bytes.Contains(c2, []byte(`"styles"`)) {
		t.Error("a manifest without styles names styles")
	}
}

// styledRoll returns the entries of a roll of the styled manifest: voters
// 0–2 city, 3–5 county, 6 all; voter 4 of weight 7.
func styledRoll(vs []*Credential) []RollEntry {
	entries := make([]RollEntry, len(vs))
	for i, v := range vs {
		entries[i] = v.Entry()
		switch {
		case i < 3:
			entries[i].Style = "city"
		case i < 6:
			entries[i].Style = "county"
		default:
			entries[i].Style = "all"
		}
	}
	entries[4].Weight = 7
	return entries
}

func TestRollStylesAndWeights(t *testing.T) {
	vs := voters(7)
	entries := styledRoll(vs)
	mh := sha256.Sum256([]byte("styled"))
	roll, err := RollOf(mh, entries)
	if err != nil {
		t.Fatal(err)
	}
	// The roll hash of §6.2: an entry naming a style or a weight is
	// followed by 0xff, its style and its weight.
	if want := rollHashOf(mh, entries); roll.Hash() != want {
		t.Errorf("roll hash %x, want %x", roll.Hash(), want)
	}
	if roll.TotalWeight() != 6+7 {
		t.Errorf("TotalWeight = %d, want 13", roll.TotalWeight())
	}
	if got := roll.StyleSizes(); got["city"] != 3 || got["county"] != 3 || got["all"] != 1 || len(got) != 3 {
		t.Errorf("StyleSizes = %v", got)
	}
	// A weight or a style changes the hash, so the base hash binds them.
	for _, change := range []func(e []RollEntry){
		func(e []RollEntry) { e[4].Weight = 6 },
		func(e []RollEntry) { e[0].Style = "all" },
	} {
		other := slices.Clone(entries)
		change(other)
		if r2, err := RollOf(mh, other); err != nil || r2.Hash() == roll.Hash() {
			t.Errorf("a changed weight or style leaves the roll hash: %v", err)
		}
	}
	// The record round-trips, with style and weight where they say
	// something.
	chunk := RollChunks(mh, 0, entries)[0]
	data := chunk.Marshal()
	if !bytes.Contains(data, []byte(`"style":"county","weight":7}`)) || bytes.Contains(data, []byte(`"weight":1`)) {
		t.Errorf("roll record %s", data)
	}
	back, err := ParseRollChunk(data)
	if err != nil || !bytes.Equal(back.Marshal(), data) {
		t.Fatalf("ParseRollChunk(Marshal) = %v", err)
	}
	// The binary encoding keeps styles and weights.
	var buf bytes.Buffer
	if _, err := roll.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	read, err := ReadRoll(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		if read.Style(int64(i)) != entries[i].Style || read.Weight(int64(i)) != max(1, entries[i].Weight) {
			t.Errorf("entry %d read back as style %q weight %d", i, read.Style(int64(i)), read.Weight(int64(i)))
		}
	}
	if read.TotalWeight() != 13 {
		t.Errorf("read back TotalWeight = %d", read.TotalWeight())
	}
	for name, edit := range map[string]func(b []byte) []byte{
		"weight 0":     func(b []byte) []byte { binary.BigEndian.PutUint32(b[len(b)-4:], 0); return b },
		"weight above": func(b []byte) []byte { binary.BigEndian.PutUint32(b[len(b)-4:], MaxWeight+1); return b },
		"cut short":    func(b []byte) []byte { return b[:len(b)-2] },
	} {
		if _, err := ReadRoll(bytes.NewReader(edit(bytes.Clone(buf.Bytes())))); err == nil {
			t.Errorf("ReadRoll(%s) succeeded", name)
		}
	}
}

func TestParseRollChunkStyleWeight(t *testing.T) {
	vs := voters(1)
	mh := sha256.Sum256([]byte("styled"))
	good := (&RollChunk{Election: mh, Voters: []RollEntry{vs[0].Entry()}}).Marshal()
	for _, tt := range []struct {
		name, from, to, want string
	}{
		{"weight 1 named", `"}]}`, `","weight":1}]}`, "weight 1 is every voter's weight"},
		{"weight 0", `"}]}`, `","weight":0}]}`, "canonical"},
		{"weight too large", `"}]}`, `","weight":1000001}]}`, "above the largest allowed, 1000000"},
		{"negative weight", `"}]}`, `","weight":-2}]}`, "roll"},
		{"empty style", `"}]}`, `","style":""}]}`, "canonical"},
		{"bad style", `"}]}`, `","style":"North"}]}`, "not a ballot style id"},
		{"weight before style", `"}]}`, `","weight":2,"style":"a"}]}`, "canonical"},
	} {
		data := bytes.Replace(good, []byte(tt.from), []byte(tt.to), 1)
		if _, err := ParseRollChunk(data); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseRollChunk(%s) = %v, want an error saying %q", tt.name, data, err, tt.want)
		}
	}
	// The builder bounds the roll's total weight.
	b := NewRollBuilder(mh)
	var heavy []RollEntry
	for i, v := range voters(MaxRollWeight/MaxWeight + 1) {
		e := v.Entry()
		e.Voter = fmt.Sprintf("heavy-%d", i)
		e.Weight = MaxWeight
		heavy = append(heavy, e)
	}
	if err := b.Check(&RollChunk{Election: mh, Voters: heavy}); err == nil || !strings.Contains(err.Error(), "add up to more than 4294967296") {
		t.Errorf("a roll of %d voters of weight %d: Check = %v, want the total weight refused", len(heavy), MaxWeight, err)
	}
}

func TestEncryptStyled(t *testing.T) {
	m := styledManifest(t)
	vs := voters(7)
	mh, _ := m.Hash()
	roll, err := RollOf(mh, styledRoll(vs))
	if err != nil {
		t.Fatal(err)
	}
	e := electionOfRoll(t, m, roll)
	city, county := vs[0], vs[3]
	cityChoices := sampleChoicesFor(t, m, "city")
	b, s, err := Encrypt(e, city.Public, cityChoices, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Style != "city" || len(b.Contests) != 3 {
		t.Fatalf("city ballot: style %q, %d contests", b.Style, len(b.Contests))
	}
	if err := VerifyBallot(e, b, city.Public); err != nil {
		t.Fatalf("VerifyBallot(city ballot) = %v", err)
	}
	back, err := ParseEncryptedBallot(b.Marshal())
	if err != nil || back.Style != "city" || !bytes.Equal(back.Marshal(), b.Marshal()) {
		t.Fatalf("ParseEncryptedBallot(city ballot) = %v", err)
	}
	if !bytes.Contains(b.Marshal(), []byte(`,"style":"city","contests":[`)) {
		t.Errorf("the ballot does not name its style before its contests")
	}
	// The challenged ballot carries the three contests' choices.
	c := Challenge(b, s)
	if len(c.Choices) != 3 {
		t.Fatalf("challenged city ballot has %d contests of choices", len(c.Choices))
	}
	cb, err := ParseChallengedBallot(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyChallenge(e, cb); err != nil {
		t.Fatalf("VerifyChallenge(city) = %v", err)
	}
	// A county voter may not cast the city's contests.
	if _, _, err := Encrypt(e, county.Public, cityChoices, ConfirmationCode{}); !errors.Is(err, ErrStyle) {
		t.Errorf("Encrypt(county voter, city choices) = %v, want ErrStyle", err)
	}
	// A city ballot under a county voter's credential, or naming another
	// style, is refused as of the wrong style, before any proof.
	other := *back
	other.Credential = county.Public
	if err := VerifyBallot(e, &other, county.Public); !errors.Is(err, ErrStyle) || !strings.Contains(err.Error(), `the ballot is of style "city", but the voter's roll entry gives style "county"`) {
		t.Errorf("VerifyBallot(city ballot by a county voter) = %v, want ErrStyle", err)
	}
	renamed := *back
	renamed.Style = "all"
	if err := VerifyBallot(e, &renamed, city.Public); !errors.Is(err, ErrStyle) {
		t.Errorf("VerifyBallot(city ballot named all) = %v, want ErrStyle", err)
	}
	// The proofs bind each contest's manifest index (§4.2), not its place
	// on the ballot: the city ballot's third contest is the monorail,
	// manifest contest 4.
	mono := &m.Contests[4]
	o := &b.Contests[2].Options[0]
	if err := crypto.VerifyRange(ProofContext(e.BaseHash, city.Public, b.Prev, 4, 0), e.PublicKey, o.Ciphertext, 0, uint64(mono.OptionMax), o.Proof); err != nil {
		t.Errorf("the monorail's proof does not verify under manifest index 4: %v", err)
	}
	if err := crypto.VerifyRange(ProofContext(e.BaseHash, city.Public, b.Prev, 2, 0), e.PublicKey, o.Ciphertext, 0, uint64(mono.OptionMax), o.Proof); err == nil {
		t.Error("the monorail's proof verifies under its place on the ballot, 2")
	}
	// A ballot of the voter's style with a contest fewer does not fit it.
	short := *back
	short.Contests = back.Contests[:2]
	if err := VerifyBallot(e, &short, city.Public); !errors.Is(err, ErrShape) {
		t.Errorf("VerifyBallot(city ballot without a contest) = %v, want ErrShape", err)
	}
}

// sampleChoicesFor returns valid choices for a ballot of style in the
// sample manifest's contests.
func sampleChoicesFor(t *testing.T, m *Manifest, style string) Choices {
	t.Helper()
	c, err := NewStyleChoices(m, style)
	if err != nil {
		t.Fatal(err)
	}
	for i, mc := range m.Contests {
		if c[i] == nil {
			continue
		}
		for n := 0; n < mc.MinSelections; n++ {
			c[i][n%len(mc.Options)]++
		}
	}
	if err := ValidateChoices(m, c); err != nil {
		t.Fatal(err)
	}
	return c
}

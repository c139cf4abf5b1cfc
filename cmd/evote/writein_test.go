package main

import (
	"crypto/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
)

// TestParseChoicesWriteIn: --choices writes a name in as the write-in
// option followed by ="NAME", quoted so that it may hold commas,
// semicolons and equal signs; a name for any other option, an unquoted or
// unclosed name, is refused with a reason.
func TestParseChoicesWriteIn(t *testing.T) {
	cs := simulate.SampleContests()[:2]
	mayor := cs[0]
	mayor.Options = append(slices.Clone(mayor.Options), ballot.Option{ID: "other", Title: "Write-in"})
	mayor.WriteIn = &ballot.WriteIn{Option: 3, MaxBytes: 40}
	cs[0] = mayor
	m := &ballot.Manifest{Contests: cs}

	ch, w, err := parseChoices(m, ballot.Voter{}, `mayor=other="Lovelace, Ada; Countess = yes";council=dan`)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch[0], []uint64{0, 0, 0, 1}) || ch[1][0] != 1 || len(w) != 2 || w[0] != "Lovelace, Ada; Countess = yes" || w[1] != "" {
		t.Errorf("parseChoices = %v, %q", ch, w)
	}
	if err := ballot.ValidateWriteIns(m, ch, w); err != nil {
		t.Errorf("ValidateWriteIns = %v", err)
	}
	if _, w, err := parseChoices(m, ballot.Voter{}, "mayor=alice"); err != nil || w != nil {
		t.Errorf("parseChoices(no write-in) = %q, %v; want nil write-ins", w, err)
	}
	for _, tt := range []struct{ choices, want string }{
		{`mayor=alice="Ada"`, `only the write-in option of a contest that has one takes a name, and contest "mayor" has write-in option "other"`},
		{`council=dan="Ada"`, `contest "council" has no write-in`},
		{`mayor=other=Ada`, `write the name in double quotes`},
		{`mayor=other="Ada`, `unclosed double quote`},
	} {
		if _, _, err := parseChoices(m, ballot.Voter{}, tt.choices); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseChoices(%s) = %v, want %q", tt.choices, err, tt.want)
		}
	}
	// Selecting the write-in option without a name is refused before
	// encryption.
	ch, w, err = parseChoices(m, ballot.Voter{}, "mayor=other")
	if err != nil {
		t.Fatal(err)
	}
	if err := ballot.ValidateWriteIns(m, ch, w); err == nil || !strings.Contains(err.Error(), "no name is written") {
		t.Errorf("ValidateWriteIns(write-in selected, no name) = %v", err)
	}
}

// TestVoteWriteIn: evote vote writes a name in (--choices
// 'mayor=other="NAME"'), shows it with the choices, challenges a ballot
// revealing the name, and casts one; the board admits both, and the cast
// ballot carries the text encrypted. Selecting the write-in without a
// name encrypts nothing.
func TestVoteWriteIn(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "writein-lab-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := newLabWith(t, 3, signer, vkey, nil, 0, func(o *simulate.Options) {
		cs := slices.Clone(simulate.SampleContests()[:1])
		cs[0].Options = append(slices.Clone(cs[0].Options), ballot.Option{ID: "other", Title: "Write-in"})
		cs[0].WriteIn = &ballot.WriteIn{Option: 3, MaxBytes: 40}
		o.Contests = cs
	})
	l.open()
	board := l.serveGenuine()
	cred := l.credential(1)
	prepared := filepath.Join(l.dir, "ballot.prepared")
	prepare := func(choices string) (string, error) {
		return run(t, append([]string{"vote", "prepare", "--credential", cred, "--choices", choices,
			"--out", prepared, "--device-state", filepath.Join(l.dir, "device")}, board...)...)
	}
	out, err := prepare(`mayor=other`)
	if err == nil || !strings.Contains(err.Error()+out, "no name is written") {
		t.Fatalf("prepare with the write-in selected and no name: %v\n%s", err, out)
	}
	out, err = prepare(`mayor=other="Ada Lovelace"`)
	if err != nil || !strings.Contains(out, `Write-in×1 "Ada Lovelace"`) {
		t.Fatalf("prepare: %v\n%s", err, out)
	}
	out = mustRun(t, append([]string{"vote", "challenge", "--credential", cred, "--prepared", prepared}, board...)...)
	if !strings.Contains(out, `Write-in×1 "Ada Lovelace"`) {
		t.Errorf("challenge does not show the name revealed:\n%s", out)
	}
	if _, err := prepare(`mayor=other="Grace Hopper"`); err != nil {
		t.Fatal(err)
	}
	mustRun(t, append([]string{"vote", "cast", "--credential", cred, "--prepared", prepared, "--receipt", filepath.Join(l.dir, "receipt.txt")}, board...)...)
	recs := l.records()
	find(recs, election.TypeChallenge, 0) // the challenged ballot is on the board
	b, err := ballot.ParseEncryptedBallot(recs[find(recs, election.TypeBallot, 0)].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.Contests[0].WriteIn); n != 2 {
		t.Errorf("the cast ballot carries %d text ciphertexts, want 2", n)
	}
}

package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
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

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election/simulate"
)

// styledManifest is the simulated sample with two ballot styles.
func styledManifest(t *testing.T) *ballot.Manifest {
	t.Helper()
	m, _, _, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1,
		Styles: []ballot.Style{{ID: "city", Contests: []string{"mayor", "council"}}, {ID: "county", Contests: []string{"parks", "budget"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadVotersStyles: the registrar's voters file gives each voter a
// style of the definition and a weight, and refuses anything else.
func TestReadVotersStyles(t *testing.T) {
	m := styledManifest(t)
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "voters.txt")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	vs, err := readVoters(write("# the city\nann style=city\nbob style=county weight=12\n"), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Voter != "ann" || vs[0].Style != "city" || vs[0].Weight != 0 || vs[1].Style != "county" || vs[1].Weight != 12 {
		t.Errorf("readVoters = %+v", vs)
	}
	for text, want := range map[string]string{
		"ann\n":                       "the definition has ballot styles, and none is named",
		"ann style=east\n":            `no ballot style "east"`,
		"ann style=city weight=0\n":   `weight "0" is not a whole number from 1 to 1000000`,
		"ann style=city weight=x\n":   `weight "x"`,
		"ann style=city colour=red\n": `"colour=red" after the voter identifier`,
	} {
		if _, err := readVoters(write(text), m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("readVoters(%q) = %v, want an error saying %q", text, err, want)
		}
	}
}

// TestParseChoicesStyle: a voter names choices only for the contests of
// their ballot style.
func TestParseChoicesStyle(t *testing.T) {
	m := styledManifest(t)
	county := ballot.Voter{Style: "county", Contests: []int{2, 3}}
	ch, _, err := parseChoices(m, county, "parks=lake;budget=schools:3,roads:2")
	if err != nil {
		t.Fatal(err)
	}
	if ch[0] != nil || ch[1] != nil || ch[2][1] != 1 || ch[3][0] != 3 {
		t.Errorf("parseChoices(county) = %v", ch)
	}
	if err := ballot.ValidateChoices(m, ch); err != nil {
		t.Errorf("ValidateChoices = %v", err)
	}
	if _, _, err := parseChoices(m, county, "mayor=alice"); err == nil || !strings.Contains(err.Error(), `contest "mayor" is not on your ballot (style "county")`) {
		t.Errorf("parseChoices(county voter, mayor) = %v", err)
	}
	if _, _, err := parseChoices(m, ballot.Voter{}, "mayor=alice"); !errors.Is(err, ballot.ErrStyle) {
		t.Errorf("parseChoices(no style in a styled election) = %v, want ErrStyle", err)
	}
}

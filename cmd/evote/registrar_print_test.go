package main

import (
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
)

// TestVotingPages: the cards give the --vote-url addresses if any, else
// the voting page of each operator the definition gives an address for,
// in the definition's order; a bad address is refused.
func TestVotingPages(t *testing.T) {
	m := &ballot.Manifest{Title: "Town vote", ID: "town-2026", Operators: []ballot.Operator{
		{Name: "vote.example.org/op1", URL: "https://op1.example.org"},
		{Name: "vote.example.org/op2"}, // no address: not printed
		{Name: "vote.example.org/op3", URL: "http://10.0.0.3:8080"},
	}}
	got, err := votingPages(m, nil)
	if err != nil || strings.Join(got, " ") != "https://op1.example.org/ http://10.0.0.3:8080/" {
		t.Fatalf("votingPages from the definition = %q, %v", got, err)
	}
	given := []string{"https://vote.example.org/town/"}
	if got, err := votingPages(m, given); err != nil || strings.Join(got, " ") != given[0] {
		t.Fatalf("votingPages with --vote-url = %q, %v", got, err)
	}
	if got, err := votingPages(&ballot.Manifest{}, nil); err != nil || got != nil {
		t.Fatalf("votingPages of a definition without addresses = %q, %v", got, err)
	}
	for _, bad := range []string{"vote.example.org", "ftp://vote.example.org/", "https://", "https://user@vote.example.org/", "/vote"} {
		if _, err := votingPages(m, []string{bad}); err == nil || !strings.Contains(err.Error(), "not the web address of a voting page") {
			t.Errorf("votingPages(%q) = %v, want a refusal", bad, err)
		}
	}

	cred, err := ballot.NewCredential(m.ID, "voter-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		where []string
		want  []string
		not   []string
	}{
		{[]string{"https://op1.example.org/", "http://10.0.0.3:8080/"}, []string{"any of these addresses", "<code>https://op1.example.org/</code>", "<code>http://10.0.0.3:8080/</code>"}, []string{"this address"}},
		{[]string{"https://vote.example.org/town/"}, []string{"open this address", "<code>https://vote.example.org/town/</code>"}, []string{"any of these"}},
		{nil, nil, []string{"Your voting page"}},
	} {
		page, err := printableCredentials(m, []*ballot.Credential{cred}, tc.where)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(page), w) {
				t.Errorf("card for %q lacks %q", tc.where, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(string(page), n) {
				t.Errorf("card for %q has %q", tc.where, n)
			}
		}
	}
}

package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// TestRankedByHand runs an election with a ranked contest (instant-runoff)
// beside a plurality one with a write-in the way its participants would,
// one CLI command at a time: after the close the trustees mix both
// contests' ballots in turn and decrypt them, the official posts the
// result, the ranked count and the names written in, and evote verify
// passes. On the way, each step taken too early, twice or
// by the wrong party is refused or answered with what is missing.
func TestRankedByHand(t *testing.T) {
	// Trustees 1 to 3 are the election's; the fourth keystore is nobody's.
	h := startByHand(t, 4)
	at, with, keystore, url := h.at, h.with, h.keystore, h.url
	def := h.definition("ranked-by-hand", "Ranked election by hand", h.trustees[:3], `
    {"id": "mayor", "title": "Mayor", "kind": "plurality", "min_selections": 0, "max_selections": 1,
     "options": [{"id": "alice", "title": "Alice"}, {"id": "bob", "title": "Bob"}, {"id": "other", "title": "Write-in"}],
     "write_in": {"option": "other", "max_bytes": 40}},
    {"id": "tree", "title": "Town tree", "kind": "ranked", "method": "irv", "min_selections": 0, "max_selections": 3, "option_max": 3,
     "options": [{"id": "oak", "title": "Oak"}, {"id": "ash", "title": "Ash"}, {"id": "elm", "title": "Elm"}]}`)
	h.open(t, def, 5, 3)

	if status := mustRun(t, with("election", "status")...); strings.Contains(status, "mixes posted") {
		t.Errorf("status shows mixes while voting is open:\n%s", status)
	}
	// Mixing is for after the close.
	if out, err := run(t, with(append([]string{"trustee", "mix"}, keystore(1)...)...)...); err == nil || !strings.Contains(err.Error(), "voting to close") {
		t.Fatalf("trustee mix while voting is open: %v\n%s", err, out)
	}

	cred := func(i int) string { return filepath.Join(at("credentials"), fmt.Sprintf("voter-%d.json", i)) }
	cast := func(i int, choices string) (string, error) {
		return run(t, with("vote", "prepare", "--credential", cred(i), "--choices", choices,
			"--out", at(fmt.Sprintf("ballot-%d.prepared", i)), "--device-state", at(fmt.Sprintf("device-%d", i)))...)
	}
	// A ranking names each candidate once, and only a ranked contest takes one.
	for _, bad := range []struct{ choices, want string }{
		{"tree=oak>ash>oak", `candidate "oak" is ranked twice`},
		{"tree=oak>>ash", "names no candidate"},
		{"tree=oak>pine", `no candidate "pine"`},
		{"mayor=alice>bob", `contest "mayor" is not ranked`},
		{"tree=oak,ash", "not a valid ranking"},
	} {
		if out, err := cast(1, bad.choices); err == nil || !strings.Contains(err.Error()+out, bad.want) {
			t.Errorf("--choices %q: %v, want an error saying %q\n%s", bad.choices, err, bad.want, out)
		}
	}
	// First choices: Oak 2, Ash 2, Elm 1; Elm is eliminated and its
	// ballot goes to Ash, who wins the second round 3 to 2. Voter 4 uses
	// the rank syntax. Voters 3 and 5 write the same name in.
	for i, choices := range []string{"mayor=alice;tree=oak>ash>elm", "mayor=bob;tree=ash>oak", `mayor=other="Ada Lovelace";tree=elm>ash`, "mayor=alice;tree=oak:1,elm:2", `tree=ash;mayor=other="Ada Lovelace"`} {
		out, err := cast(i+1, choices)
		if err != nil {
			t.Fatalf("voter %d prepare: %v\n%s", i+1, err, out)
		}
		if i == 0 && !strings.Contains(out, "Town tree: 1. Oak, 2. Ash, 3. Elm") {
			t.Errorf("prepare does not show the ranking in order:\n%s", out)
		}
		if i == 2 && !strings.Contains(out, `Mayor: Write-in×1 "Ada Lovelace"`) {
			t.Errorf("prepare does not show the name written in:\n%s", out)
		}
		mustRun(t, with("vote", "cast", "--credential", cred(i+1), "--prepared", at(fmt.Sprintf("ballot-%d.prepared", i+1)),
			"--receipt", at(fmt.Sprintf("receipt-%d.txt", i+1)))...)
	}
	mustRun(t, with("election", "close", "--key", at("official.key"))...)

	tally := func() (string, error) { return run(t, with("tally", "--key", at("official.key"))...) }
	// Nothing is decrypted yet: the tally names all it waits for.
	out, err := tally()
	if err == nil || !strings.Contains(err.Error(), "0 of the 2 partial decryptions of the sums") || !strings.Contains(err.Error(), `contest "tree": 0 of the 2 mixes it needs`) {
		t.Fatalf("tally before any decryption: %v\n%s", err, out)
	}
	// A keystore that is not the election's trustee's mixes nothing.
	if out, err := run(t, with(append([]string{"trustee", "mix"}, keystore(4)...)...)...); err == nil || !strings.Contains(err.Error(), "not in the election definition") {
		t.Fatalf("trustee mix by a non-trustee: %v\n%s", err, out)
	}
	out = mustRun(t, with(append([]string{"trustee", "mix"}, keystore(1)...)...)...)
	if !strings.Contains(out, `trustee 1: posted mix 1 of contest "tree", with its proof of shuffle, as record`) || !strings.Contains(out, `trustee 1: posted mix 1 of contest "mayor"`) {
		t.Fatalf("trustee 1 mix printed:\n%s", out)
	}
	// Its second mix is refused: it says it has mixed, and posts nothing.
	before := boardSize(t, url)
	out = mustRun(t, with(append([]string{"trustee", "mix"}, keystore(1)...)...)...)
	if !strings.Contains(out, `trustee 1: has mixed contest "tree" already (mix 1 of the 1 on the board)`) || strings.Contains(out, "posted") {
		t.Fatalf("trustee 1's second mix printed:\n%s", out)
	}
	if after := boardSize(t, url); after != before {
		t.Fatalf("trustee 1's second mix posted %d records", after-before)
	}
	// Trustee 1 decrypts the sums, but the tree's ballots need a second mix.
	out, err = run(t, with(append([]string{"trustee", "decrypt"}, keystore(1)...)...)...)
	if err == nil || !strings.Contains(out, "trustee 1: posted the partial decryption as record") || !strings.Contains(err.Error(), `contest "tree" has 1 of them (by trustees: 1)`) {
		t.Fatalf("trustee 1 decrypt before the second mix: %v\n%s", err, out)
	}
	out, err = tally()
	if err == nil || !strings.Contains(err.Error(), "1 of the 2 partial decryptions of the sums it needs (by trustees: 1") || !strings.Contains(err.Error(), `contest "tree": 1 of the 2 mixes it needs (by trustees: 1;`) {
		t.Fatalf("tally after one mix: %v\n%s", err, out)
	}
	mustRun(t, with(append([]string{"trustee", "mix"}, keystore(3)...)...)...)
	out = mustRun(t, with(append([]string{"trustee", "decrypt"}, keystore(1)...)...)...)
	if !strings.Contains(out, "on the board already") || !strings.Contains(out, `trustee 1: posted its decryption of contest "tree"'s ballots, as mixed 2 times`) {
		t.Fatalf("trustee 1 decrypt after the mixes:\n%s", out)
	}
	// The tally before the mixed ballots are decrypted says what is missing.
	out, err = tally()
	if err == nil || !strings.Contains(err.Error(), `contest "tree": 1 of the 2 decryptions of its mixed ballots it needs (by trustees: 1;`) {
		t.Fatalf("tally before the mixed ballots are decrypted: %v\n%s", err, out)
	}
	mustRun(t, with(append([]string{"trustee", "decrypt"}, keystore(3)...)...)...)
	// Trustee 2 comes after the decryptions began: no mix of its is taken.
	out = mustRun(t, with(append([]string{"trustee", "mix"}, keystore(2)...)...)...)
	if !strings.Contains(out, `contest "tree": its mixing is over, after 2 mixes (by trustees 1, 3)`) || strings.Contains(out, "posted") {
		t.Fatalf("trustee 2 mix after the decryptions began:\n%s", out)
	}

	out = mustRun(t, with("tally", "--key", at("official.key"), "--wait")...)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`posted the result as record \d+`),
		regexp.MustCompile(`posted the count of the ranked contest "tree" as record \d+`),
		regexp.MustCompile(`posted the count of the write-ins of contest "mayor" as record \d+`),
		regexp.MustCompile(`mayor\s+Alice\s+2\n`),
		regexp.MustCompile(`mayor\s+Write-in\s+2\n`),
		regexp.MustCompile(`write-ins of contest mayor \(Mayor\): 2 ballots chose "other"`),
		regexp.MustCompile(`"Ada Lovelace"\s+2\n`),
		regexp.MustCompile(`ranked contest "tree" \(Town tree\), counted by instant-runoff: 5 ballots, mixed by trustees 1, 3`),
		regexp.MustCompile(`winner: Ash\n`),
		regexp.MustCompile(`round\s+Oak\s+Ash\s+Elm\s+exhausted\s+then\n1\s+2\s+2\s+1\s+0\s+Elm eliminated\n2\s+2\s+3\s+—\s+0\s+Ash elected\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("tally output lacks %v:\n%s", want, out)
		}
	}
	// The sums of ranks are not shown as votes.
	if regexp.MustCompile(`(?m)^tree\s`).MatchString(out) {
		t.Errorf("the tally shows the ranked contest's sums of ranks as votes:\n%s", out)
	}
	out = mustRun(t, with("tally", "--key", at("official.key"))...)
	if !strings.Contains(out, "posted nothing") || !strings.Contains(out, "winner: Ash") {
		t.Errorf("tally again:\n%s", out)
	}
	status := mustRun(t, with("election", "status")...)
	if !regexp.MustCompile(`mix-net contest tree \(irv\)\s+2 mixes posted \(by trustees: 1, 3\), 2 needed; 2 decryptions posted \(by trustees: 1, 3\), 2 needed; counted: yes`).MatchString(status) ||
		!regexp.MustCompile(`mix-net contest mayor \(write-in\)\s+2 mixes posted \(by trustees: 1, 3\), 2 needed; 2 decryptions posted \(by trustees: 1, 3\), 2 needed; counted: yes`).MatchString(status) {
		t.Errorf("status lacks the mix progress:\n%s", status)
	}
	out = mustRun(t, with("verify")...)
	if !strings.Contains(out, "Everything holds: 0 failures") || !strings.Contains(out, "mix-net") {
		t.Errorf("verify:\n%s", out)
	}
	h.end(t)
}

// TestRankedMixAtOnce has three trustees mix at the same time, each
// waiting for the close: every one of them posts a mix of the ranked
// contest, each on the output of the one before, whichever reaches the
// board first; a trustee whose mix comes second mixes again on the newer
// output. The count then verifies.
func TestRankedMixAtOnce(t *testing.T) {
	h := startByHand(t, 3)
	h.open(t, h.definition("mix-at-once", "Mixing at once", h.trustees, `
    {"id": "tree", "title": "Town tree", "kind": "ranked", "method": "irv", "min_selections": 0, "max_selections": 2, "option_max": 2,
     "options": [{"id": "oak", "title": "Oak"}, {"id": "ash", "title": "Ash"}]}`), 3, 3)
	for i, choices := range []string{"tree=oak>ash", "tree=ash>oak", "tree=oak"} {
		mustRun(t, h.with("vote", "prepare", "--credential", filepath.Join(h.at("credentials"), fmt.Sprintf("voter-%d.json", i+1)), "--choices", choices,
			"--out", h.at("ballot.prepared"), "--device-state", h.at(fmt.Sprintf("device-%d", i)))...)
		mustRun(t, h.with("vote", "cast", "--credential", filepath.Join(h.at("credentials"), fmt.Sprintf("voter-%d.json", i+1)), "--prepared", h.at("ballot.prepared"), "--receipt", h.at(fmt.Sprintf("receipt-%d.txt", i)))...)
	}
	wait := h.together(t, 3, func(i int) []string {
		return h.with(append([]string{"trustee", "mix", "--wait"}, h.keystore(i)...)...)
	})
	mustRun(t, h.with("election", "close", "--key", h.at("official.key"))...)
	mixed := wait()
	for i := 1; i <= 3; i++ {
		if !regexp.MustCompile(fmt.Sprintf(`trustee %d: posted mix [123] of contest "tree"`, i)).MatchString(mixed[i]) {
			t.Errorf("trustee %d mix printed:\n%s", i, mixed[i])
		}
	}
	status := mustRun(t, h.with("election", "status")...)
	if !regexp.MustCompile(`3 mixes posted \(by trustees: [123], [123], [123]\), 2 needed`).MatchString(status) {
		t.Errorf("status after three mixes:\n%s", status)
	}
	for _, i := range []int{2, 3} {
		mustRun(t, h.with(append([]string{"trustee", "decrypt"}, h.keystore(i)...)...)...)
	}
	out := mustRun(t, h.with("tally", "--key", h.at("official.key"))...)
	if !strings.Contains(out, "winner: Oak") {
		t.Errorf("tally:\n%s", out)
	}
	if out := mustRun(t, h.with("verify")...); !strings.Contains(out, "Everything holds: 0 failures") {
		t.Errorf("verify:\n%s", out)
	}
	h.end(t)
}

// boardSize returns the size of the board's latest checkpoint: its
// number of records.
func boardSize(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(body), "\n")
	n, err := strconv.Atoi(lines[min(1, len(lines)-1)])
	if err != nil {
		t.Fatalf("GET /checkpoint: %v\n%s", err, body)
	}
	return n
}

// TestWriteRankedCount prints one count of each method, of the same
// ballots, and checks that what is printed is the count's: the winners,
// every IRV round's and every STV stage's votes in order, the Schulze
// order and the Borda scores.
func TestWriteRankedCount(t *testing.T) {
	mc := &ballot.Contest{ID: "board", Title: "Board", Kind: ballot.KindRanked, MaxSelections: 3, OptionMax: 3, Seats: 2,
		Options: []ballot.Option{{ID: "ann", Title: "Ann"}, {ID: "bo", Title: "Bo"}, {ID: "cy", Title: "Cy"}}}
	// Ranks by candidate: Ann 1st on 4 ballots, Bo on 3, Cy on 2.
	ranks := [][]uint64{{1, 2, 3}, {1, 3, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}, {0, 1, 2}, {3, 1, 2}, {2, 3, 1}, {0, 2, 1}}
	for _, method := range []string{ballot.MethodIRV, ballot.MethodSTV, ballot.MethodSchulze, ballot.MethodBorda} {
		t.Run(method, func(t *testing.T) {
			mc.Method = method
			rc, err := election.CountRanked(mc, []byte("seed"), ranks)
			if err != nil {
				t.Fatal(err)
			}
			var buf strings.Builder
			if err := writeRankedCount(&buf, mc, []uint32{1, 3}, &tally.Result{Trustees: []uint32{2, 3}}, rc); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			var want []string
			title := func(k int) string { return mc.Options[k].Title }
			switch method {
			case ballot.MethodIRV:
				want = append(want, "winner: "+title(rc.IRV.Winner))
				for n, r := range rc.IRV.Rounds {
					want = append(want, fmt.Sprintf(`(?m)^%d\s+%d\s`, n+1, r.Counts[0]))
				}
			case ballot.MethodSTV:
				var names []string
				for _, k := range rc.STV.Elected {
					names = append(names, title(k))
				}
				want = append(want, fmt.Sprintf("elected (2 seats, quota %s): %s", rc.STV.Quota, strings.Join(names, ", ")))
				for n, sg := range rc.STV.Stages {
					want = append(want, fmt.Sprintf(`(?m)^%d\s+%s.*\s%s\s+%s\s+%s\s+%s`, n+1, sg.Action, sg.Counts[0], sg.Counts[1], sg.Counts[2], sg.NonTransferable))
				}
			case ballot.MethodSchulze:
				want = append(want, "winner: "+title(rc.Schulze.Winner), fmt.Sprintf("order: %s > %s > %s", title(rc.Schulze.Order[0]), title(rc.Schulze.Order[1]), title(rc.Schulze.Order[2])))
			case ballot.MethodBorda:
				want = append(want, "winner: "+title(rc.Borda.Winner))
				for _, k := range rc.Borda.Order {
					want = append(want, fmt.Sprintf(`(?m)^%s\s+%d$`, title(k), rc.Borda.Scores[k]))
				}
			}
			want = append(want, regexp.QuoteMeta(fmt.Sprintf("counted by %s: 9 ballots, mixed by trustees 1, 3, decrypted by trustees 2, 3", methodNames[method])))
			for _, w := range want {
				if !strings.HasPrefix(w, "(?m)") && !strings.Contains(w, `\`) {
					w = regexp.QuoteMeta(w)
				}
				if !regexp.MustCompile(w).MatchString(out) {
					t.Errorf("the %s count lacks %q:\n%s", method, w, out)
				}
			}
		})
	}
}

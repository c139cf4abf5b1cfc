package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
)

// buildEvote builds the real binary once per test.
func buildEvote(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "evote")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type contestCounts struct {
	ID      string `json:"id"`
	Options []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Count uint64 `json:"count"`
	} `json:"options"`
}

func readExpected(t *testing.T, dir string) []contestCounts {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expected-counts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []contestCounts
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// checkPrintedResult checks the result table of the verification that the
// demo printed in text: every count is what the voters cast (want), but
// for the ranked contest "tree", whose homomorphic counts are sums of
// ranks: the verifier prints its outcome instead, the winner that the
// demo's count announced, and none of its sums.
func checkPrintedResult(t *testing.T, text string, want []contestCounts) {
	t.Helper()
	for _, c := range want {
		for _, o := range c.Options {
			line := regexp.MustCompile(`(?m)^\s+Option ` + regexp.QuoteMeta(o.ID) + `\s+(\d+)$`)
			m := line.FindStringSubmatch(text)
			switch {
			case c.ID == "tree" && m != nil:
				t.Errorf("%s/%s: printed %q, a sum of ranks, as a count", c.ID, o.ID, m[0])
			case c.ID != "tree" && (m == nil || m[1] != fmt.Sprint(o.Count)):
				t.Errorf("%s/%s: printed %v, cast %d", c.ID, o.ID, m, o.Count)
			}
		}
	}
	won := regexp.MustCompile(`ranked contest "tree": .*: (\S+) wins after \d+ rounds`).FindStringSubmatch(text)
	if won == nil {
		t.Fatal("the demo does not say who won the ranked contest")
	}
	if !regexp.MustCompile(`(?m)^\s+winner: Option ` + regexp.QuoteMeta(won[1]) + `$`).MatchString(text) {
		t.Errorf("the verification's result does not name %s the winner of the ranked contest", won[1])
	}
}

// TestDemoSmall runs the demo at a small size through the real binary and
// checks the counts it prints and its verification outcome.
func TestDemoSmall(t *testing.T) {
	bin := buildEvote(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := exec.Command(bin, "demo", "--voters", "25", "--challenges", "2", "--revotes", "3", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("evote demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"25 ballots encrypted", "2 Benaloh challenges", "3 voters voted again",
		"trustees 1, 2, 4 posted partial decryptions; absent: 3, 5",
		"28 ballots, 25 counted, 3 superseded", "2 challenged ballots",
		`ranked contest "tree": mixed by trustees [1 2 4] in turn`, "its 25 ballots decrypted with proofs and counted by irv",
		// The tree's rows are 4 ciphertexts, the clerk's write-in rows 3
		// (its slot and 2 text ciphertexts): 25·(4 + 3) per mix.
		`write-in of contest "clerk": mixed by trustees [1 2 4] in turn, its 25 ballots decrypted with proofs`,
		"6 mixes, 525 shuffled ciphertexts, 6 mix decryptions, 525 decryption proofs, 1 ranked count, 1 write-in count",
		"Everything holds: 0 failures",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	checkPrintedResult(t, text, readExpected(t, dir))
	for _, f := range []string{"board.db", "record.jsonl", "checkpoint.txt", "README.txt", "election.json", "official.key", "trustee-3/trustee.keystore", "registrar.key", "credentials/voter-000025.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the demo left no %s: %v", f, err)
		}
	}
	// The names written in, as the verifier recomputed them from the
	// decrypted ballots, add up to the write-in option's count.
	slot := regexp.MustCompile(`(?m)^\s+Option write-in\s+(\d+)$`).FindStringSubmatch(text)
	written := 0
	for _, m := range regexp.MustCompile(`(?m)^\s+"(Ada Lovelace|Grace Hopper|Alan Turing)"\s+(\d+)$`).FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[2])
		written += n
	}
	if slot == nil || slot[1] != strconv.Itoa(written) || written == 0 {
		t.Errorf("the names written in add up to %d, the write-in option's count is %v", written, slot)
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", text)
	}
}

// TestDemoOperators runs the demo on four operators in-process (through
// evote demo --operators 4): every operator's export is the same bytes,
// verifies against that operator's own checkpoint, and the result the
// verifier prints is what the voters cast.
func TestDemoOperators(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	stdout, stderr, err := runBoard(t.Context(), "demo", "--operators", "4", "--voters", "8", "--challenges", "1", "--revotes", "1", "--dir", dir)
	if err != nil {
		t.Fatalf("evote demo --operators 4: %v\n%s%s", err, stdout, stderr)
	}
	for _, want := range []string{
		"operator 4 of 4 serving", "8 ballots encrypted",
		"the 4 exports are byte-identical",
		"the verifier passed every operator's export against that operator's own signed checkpoint",
		"9 ballots, 8 counted, 1 superseded", "Everything holds: 0 failures",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	first, err := os.ReadFile(filepath.Join(dir, "op1", "record.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for op := 2; op <= 4; op++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("op%d", op), "record.jsonl"))
		if err != nil || string(b) != string(first) {
			t.Errorf("operator %d's export differs from operator 1's (%v)", op, err)
		}
	}
	checkPrintedResult(t, stdout, readExpected(t, dir))
	// The definition names the operators, and the checkpoint the
	// participants acted on carries the cosignatures of at least three.
	def, err := os.ReadFile(filepath.Join(dir, "election.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.ParseManifest(def)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Operators) != 4 || m.Board != nil {
		t.Fatalf("the definition names operators %v and board %v, want the 4 operators and no single board", m.Operators, m.Board)
	}
	// The network's operators.json gives each operator the address the
	// definition names, so that the guide's "evote board serve --network
	// HOME" alone serves there and gathers the others' cosignatures.
	ops, err := replica.ReadOperators(filepath.Join(dir, "net", replica.OperatorsFile))
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile(filepath.Join(dir, "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range ops {
		if op.URL == "" || op.URL != m.Operators[i].URL {
			t.Errorf("operators.json gives operator %d the url %q, the definition %q", i+1, op.URL, m.Operators[i].URL)
		}
		if want := fmt.Sprintf("  evote board serve --network %s &\n", filepath.Join(dir, "net", fmt.Sprintf("op%d", i+1))); !strings.Contains(string(guide), want) {
			t.Errorf("README.txt does not say %q:\n%s", want, guide)
		}
	}
	cp, err := os.ReadFile(filepath.Join(dir, "checkpoint.txt"))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := election.TrustPolicy(m)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := policy.Check(cp); err != nil || len(c.Names) < 3 {
		t.Errorf("checkpoint.txt is cosigned by %v (%v), want at least 3 of the 4 operators", c.Names, err)
	}
	if t.Failed() {
		t.Logf("demo output:\n%s", stdout)
	}
}

// TestThousandBallotsThroughTheBinary is the end-to-end check of the
// whole system: an election of 1,000 voters with 5 trustees and t=3, one
// of them absent at the tally, made by the real binary over HTTP, then
// re-verified from the exported record by `evote verify`; the verified
// counts must equal the plaintext choices the voters cast.
func TestThousandBallotsThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 ballots: skipped in -short mode")
	}
	bin := buildEvote(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := exec.Command(bin, "demo", "--voters", "1000", "--absent", "1", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("evote demo: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "trustees 1, 2, 4, 5 posted partial decryptions; absent: 3") {
		t.Fatalf("the demo did not run the tally with trustee 3 absent:\n%s", out)
	}
	cmd := exec.Command(bin, "verify", "--json", "--record", filepath.Join(dir, "record.jsonl"),
		"--checkpoint", filepath.Join(dir, "checkpoint.txt"), "--board-key", "@"+filepath.Join(dir, "board.vkey"))
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("evote verify: %v\n%s", err, out)
	}
	var report struct {
		OK       bool            `json:"ok"`
		Problems int             `json:"problems"`
		Result   []contestCounts `json:"result"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatal(err)
	}
	if !report.OK || report.Problems != 0 {
		t.Fatalf("verify: ok=%v with %d problems", report.OK, report.Problems)
	}
	want := readExpected(t, dir)
	if len(report.Result) != len(want) {
		t.Fatalf("verified %d contests, cast %d", len(report.Result), len(want))
	}
	total := uint64(0)
	for i, c := range want {
		got := report.Result[i]
		if got.ID != c.ID || len(got.Options) != len(c.Options) {
			t.Fatalf("contest %d: verified %q with %d options, cast %q with %d", i, got.ID, len(got.Options), c.ID, len(c.Options))
		}
		for k, o := range c.Options {
			total += o.Count
			if got.Options[k].ID != o.ID || got.Options[k].Count != o.Count {
				t.Errorf("%s/%s: verified %d, cast %d", c.ID, o.ID, got.Options[k].Count, o.Count)
			}
		}
	}
	if total == 0 {
		t.Fatal("no votes were cast")
	}
}

// TestDemoVoterHeldCredentials runs the demo with voter-held credentials:
// every voter makes its own key and sends the registrar a signed request;
// the registrar posts the keys and the election runs and verifies as in
// the registrar-generated mode.
func TestDemoVoterHeldCredentials(t *testing.T) {
	bin := buildEvote(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := exec.Command(bin, "demo", "--voters", "15", "--challenges", "1", "--revotes", "1", "--witnesses", "0", "--credentials", "voter", "--dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("evote demo --credentials voter: %v\n%s", err, out)
	}
	for _, want := range []string{
		"15 voters made their own credentials on their devices", "nobody but each voter ever held a private key",
		"closed with 15 voters", "Everything holds: 0 failures",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if out, err := exec.Command(bin, "demo", "--credentials", "official", "--dir", dir+"-2").CombinedOutput(); err == nil || !strings.Contains(string(out), "want registrar") {
		t.Errorf("demo --credentials official: %v\n%s", err, out)
	}
}

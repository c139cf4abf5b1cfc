package voterclient_test

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/i18n"
	"github.com/evote/evote/voterclient"
)

// rankedContest is a ranked contest whose titles are translated into
// French.
func rankedContest() ballot.Contest {
	return ballot.Contest{ID: "chair", Title: "Board chair", Kind: ballot.KindRanked, Method: ballot.MethodIRV,
		MaxSelections: 3, OptionMax: 3, Translations: ballot.Translations{"fr": "Présidence du conseil"},
		Options: []ballot.Option{
			{ID: "ann", Title: "Ann", Translations: ballot.Translations{"fr": "Anne"}},
			{ID: "bob", Title: "Bob"},
			{ID: "cy", Title: "Cy"},
			{ID: "dee", Title: "Dee"},
		}}
}

// TestSessionRanked votes in a ranked contest as the page does, in
// French: the election's titles come in French, a rank given twice or a
// gap is refused before encrypting, named with the French titles and as a
// catalogue message the page translates, and the challenged ballot opens
// to the very ranks marked (docs/spec/ranked.md §1: each candidate's
// ciphertext holds its rank), listed in rank order.
func TestSessionRanked(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	sim, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 2, Trustees: 3, Threshold: 2,
		Language: "en", Contests: []ballot.Contest{rankedContest()}})
	must(t, err)
	must(t, sim.Ceremony(ctx))
	must(t, sim.SetPhase(ctx, election.PhaseOpen))

	j := newJSONSession(t, b)
	r := j.ok("sync", string(b.page(t, 0)))
	if c := r["election"].(map[string]any)["contests"].([]any)[0].(map[string]any); c["title"] != "Board chair" || c["rule_key"] != "client.rule.ranked" {
		t.Fatalf("contest before choosing a language: %v", c)
	}
	fr := j.ok("language", "fr-CA")
	c := fr["contests"].([]any)[0].(map[string]any)
	if c["title"] != "Présidence du conseil" || c["options"].([]any)[0].(map[string]any)["title"] != "Anne" || c["options"].([]any)[1].(map[string]any)["title"] != "Bob" {
		t.Fatalf("contest in French: %v", c)
	}
	if !reflect.DeepEqual(c["rule_args"], []any{3.0}) || c["kind"] != ballot.KindRanked {
		t.Fatalf("rule args %v, kind %v", c["rule_args"], c["kind"])
	}
	f, err := sim.Voters[0].Marshal()
	must(t, err)
	j.ok("credential", string(f))
	j.ok("anchor", b.anchorArgs(t, int64(r["next"].(float64))))

	for _, tc := range []struct {
		name  string
		ranks []uint64
		key   string
		args  []any
	}{
		{"rank 1 twice", []uint64{1, 0, 1, 2}, "client.problem.rank-shared", []any{"Présidence du conseil", 1.0, "Anne", "Cy"}},
		{"rank 2 skipped", []uint64{3, 1, 0, 0}, "client.problem.rank-missing", []any{"Présidence du conseil", 2.0, 3.0}},
		{"rank over k", []uint64{4, 1, 2, 3}, "client.problem.ranking", []any{"Présidence du conseil", 3.0}},
	} {
		out := j.call("prepare", map[string]any{"choices": [][]uint64{tc.ranks}, "prev": ""})
		e, _ := out["error"].(map[string]any)
		if out["ok"] != false || e["code"] != voterclient.CodeInvalidChoices || e["key"] != tc.key || !reflect.DeepEqual(e["args"], tc.args) {
			t.Errorf("%s: prepare = %v, want %s %v", tc.name, out, tc.key, tc.args)
			continue
		}
		if !i18n.Default.Has(tc.key) || strings.Contains(e["message"].(string), "%!") {
			t.Errorf("%s: message %q of key %q", tc.name, e["message"], tc.key)
		}
		// check says the same without encrypting.
		if out := j.call("check", map[string]any{"choices": [][]uint64{tc.ranks}}); !reflect.DeepEqual(out["error"], e) {
			t.Errorf("%s: check = %v, want %v", tc.name, out, e)
		}
	}
	j.ok("check", map[string]any{"choices": [][]uint64{{2, 0, 1, 3}}})

	marked := [][]uint64{{2, 0, 1, 3}} // Cy, then Anne, then Dee
	j.ok("prepare", map[string]any{"choices": marked, "prev": ""})
	sub := j.ok("challenge", nil)
	status, body := b.post(t, mustSubmission(t, sub["submission"].(string)))
	posted := j.ok("posted", map[string]any{"status": status, "body": string(body)})
	rv := j.ok("reveal", posted["record"].(string))
	enc, _ := json.Marshal(rv["choices"])
	var got [][]uint64
	must(t, json.Unmarshal(enc, &got))
	if !reflect.DeepEqual(got, marked) {
		t.Fatalf("the challenged ballot encrypts %v, marked %v", got, marked)
	}
	rc := rv["contests"].([]any)[0].(map[string]any)
	var order []string
	for _, s := range rc["selections"].([]any) {
		order = append(order, s.(map[string]any)["title"].(string))
	}
	if rc["ranked"] != true || rc["title"] != "Présidence du conseil" || !slices.Equal(order, []string{"Cy", "Anne", "Dee"}) {
		t.Fatalf("revealed contest %v, want ranked, in French, in rank order Cy, Anne, Dee", rc)
	}
}

// clientKey finds the catalogue keys the voter client tells problems and
// rules with.
var clientKey = regexp.MustCompile(`^client\.[a-z0-9.-]+$`)

// TestProblemKeys checks that every catalogue key this package's code
// names is in the catalogue, and that every client.* key of the catalogue
// is named here: a problem the page could not translate, or a message
// nobody says, fails.
func TestProblemKeys(t *testing.T) {
	files, err := filepath.Glob("*.go")
	must(t, err)
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		must(t, err)
		f, err := parser.ParseFile(fset, name, src, 0)
		must(t, err)
		for _, lit := range stringLiterals(f) {
			if s, err := strconv.Unquote(lit); err == nil && clientKey.MatchString(s) {
				used[s] = true
				if !i18n.Default.Has(s) {
					t.Errorf("%s: key %q is not in the catalogue", name, s)
				}
			}
		}
	}
	for _, k := range i18n.Default.Keys() {
		if strings.HasPrefix(k, "client.") && !used[k] {
			t.Errorf("catalogue key %q is used by no code of voterclient", k)
		}
	}
	if len(used) < 20 {
		t.Errorf("found %d keys in the code, want the rules' and problems' (>= 20)", len(used))
	}
}

// stringLiterals returns the string literals of f, as written.
func stringLiterals(f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			out = append(out, lit.Value)
		}
		return true
	})
	return out
}

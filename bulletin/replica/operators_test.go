package replica

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// testOperators returns n operators named net/op1, net/op2, … with fresh
// board and cosignature keys and no URL.
func testOperators(t *testing.T, n int) []Operator {
	t.Helper()
	ops := make([]Operator, n)
	for i := range ops {
		name := fmt.Sprintf("net/op%d", i+1)
		_, bkey, err := note.GenerateKey(rand.Reader, name)
		must(t, err)
		_, vkey, err := note.GenerateKey(rand.Reader, name)
		must(t, err)
		ckey, err := fnote.VKeyToCosignatureV1(vkey)
		must(t, err)
		ops[i] = Operator{Name: name, BoardKey: bkey, CosignKey: ckey}
	}
	return ops
}

// TestReadOperators: operators.json reads with and without the operators'
// URLs (a network written before they had one), and ReadOperators refuses
// a URL that is not a board's base URL, or one that two operators share,
// naming the operator; PeerURLs and DefinitionOperators carry the URLs.
func TestReadOperators(t *testing.T) {
	dir := t.TempDir()
	write := func(v any) string {
		t.Helper()
		b, err := json.Marshal(v)
		must(t, err)
		path := filepath.Join(dir, OperatorsFile)
		must(t, os.WriteFile(path, b, 0o644))
		return path
	}
	ops := testOperators(t, 3)

	// Written before operators had URLs: no "url" member at all.
	var old []map[string]string
	for _, op := range ops {
		old = append(old, map[string]string{"name": op.Name, "board_key": op.BoardKey, "cosign_key": op.CosignKey})
	}
	got, err := ReadOperators(write(old))
	if err != nil || len(got) != 3 || got[1] != ops[1] {
		t.Fatalf("ReadOperators of a list without URLs = %+v, %v", got, err)
	}
	if peers := PeerURLs(got, ops[0].Name); len(peers) != 0 {
		t.Errorf("PeerURLs without URLs = %v, want none", peers)
	}

	withURLs := append([]Operator(nil), ops...)
	for i := range withURLs {
		withURLs[i].URL = fmt.Sprintf("http://127.0.0.1:%d", 8081+i)
	}
	got, err = ReadOperators(write(withURLs))
	if err != nil || got[2].URL != "http://127.0.0.1:8083" {
		t.Fatalf("ReadOperators with URLs = %+v, %v", got, err)
	}
	peers := PeerURLs(got, ops[1].Name)
	if len(peers) != 2 || peers[ops[0].Name] != "http://127.0.0.1:8081" || peers[ops[2].Name] != "http://127.0.0.1:8083" {
		t.Errorf("PeerURLs(op2) = %v, want op1's and op3's URLs", peers)
	}
	def := DefinitionOperators(got, map[string]string{ops[0].Name: "https://op1.example.org"})
	if def[0].URL != "https://op1.example.org" || def[1].URL != "http://127.0.0.1:8082" {
		t.Errorf("DefinitionOperators = %+v, want op1's URL of the map and the others' own", def)
	}

	for _, tt := range []struct {
		name, url2, url3, want string
	}{
		{"scheme", "ftp://127.0.0.1:8082", "", `operator 2 ("net/op2"): url "ftp://127.0.0.1:8082" is not the base URL of a board`},
		{"query", "http://127.0.0.1:8082?x=1", "", `operator 2 ("net/op2"): url "http://127.0.0.1:8082?x=1" is not the base URL of a board`},
		{"trailing slash", "http://127.0.0.1:8082/", "", `operator 2 ("net/op2"): url "http://127.0.0.1:8082/" is not the base URL of a board`},
		{"shared", "http://127.0.0.1:8082", "http://127.0.0.1:8082", `operator 3 ("net/op3") has the url of operator 2 ("net/op2"): "http://127.0.0.1:8082"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := append([]Operator(nil), ops...)
			bad[1].URL, bad[2].URL = tt.url2, tt.url3
			got, err := ReadOperators(write(bad))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadOperators = %+v, %v; want an error saying %q", got, err, tt.want)
			}
		})
	}
}

// TestSpecOperatorExample: the operator.json of
// docs/spec/replicated-board.md §6 reads as an operator's public entry,
// and marshals back to the same bytes.
func TestSpecOperatorExample(t *testing.T) {
	spec, err := os.ReadFile("../../docs/spec/replicated-board.md")
	must(t, err)
	_, after, ok := strings.Cut(string(spec), "**On separate machines**")
	_, after, ok2 := strings.Cut(after, "```json\n")
	example, _, ok3 := strings.Cut(after, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("replicated-board.md has no operator.json example under \"On separate machines\"")
	}
	lines := strings.Split(strings.TrimRight(example, " \n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "   ") // the example is indented in its list item
	}
	example = strings.Join(lines, "\n")
	path := filepath.Join(t.TempDir(), "operator.json")
	must(t, os.WriteFile(path, []byte(example), 0o644))
	op, err := ReadOperator(path)
	must(t, err)
	if op.Peer.check() != nil || op.URL == "" {
		t.Fatalf("the spec's operator.json reads as %+v", op)
	}
	back, err := json.MarshalIndent(op, "", "  ")
	must(t, err)
	if string(back) != example {
		t.Fatalf("the spec's operator.json marshals back as\n%s\nnot\n%s", back, example)
	}
}

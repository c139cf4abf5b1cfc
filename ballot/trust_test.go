package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// trustKeys returns a board verifier key named origin and the
// cosignature verifier keys of witnesses with the given names.
func trustKeys(t *testing.T, origin string, names ...string) (string, []string) {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, n := range names {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		s, err := torchwood.NewCosignatureSigner(n, priv)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, s.Verifier().String())
	}
	return vkey, ws
}

// TestTrustPolicy: a definition names its board and its witnesses with a
// quorum; they are parsed, written in canonical order, and bound into the
// manifest hash (so into the base hash).
func TestTrustPolicy(t *testing.T) {
	board, ws := trustKeys(t, "vote.example.org/2026", "w1.example", "w2.example", "w3.example")
	_, opKeys := trustKeys(t, "unused", "op1.vote.example.org", "op2.vote.example.org", "op3.vote.example.org", "op4.vote.example.org")
	data := mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m map[string]any) {
		m["board"] = map[string]any{"origin": "vote.example.org/2026", "key": board}
		m["witnesses"] = []any{
			map[string]any{"name": "w1.example", "key": ws[0]},
			map[string]any{"name": "w2.example", "key": ws[1]},
			map[string]any{"name": "w3.example", "key": ws[2]},
		}
		m["witness_quorum"] = 2
		m["min_counted"] = 3
		var ops []any
		for i, k := range opKeys {
			name := fmt.Sprintf("op%d.vote.example.org", i+1)
			boardKey, _ := trustKeys(t, name)
			ops = append(ops, map[string]any{"name": name, "key": k, "board_key": boardKey, "url": fmt.Sprintf("https://%s", name)})
		}
		delete(ops[3].(map[string]any), "url")
		m["operators"] = ops
	})
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Board == nil || m.Board.Origin != "vote.example.org/2026" || len(m.Witnesses) != 3 || m.WitnessQuorum != 2 {
		t.Fatalf("parsed %+v, %+v, quorum %d", m.Board, m.Witnesses, m.WitnessQuorum)
	}
	if len(m.Operators) != 4 || m.Operators[3].Name != "op4.vote.example.org" || m.OperatorQuorum() != 3 {
		t.Fatalf("parsed operators %+v, quorum %d; want 4 operators, quorum 3", m.Operators, m.OperatorQuorum())
	}
	for i, o := range m.Operators {
		if v, err := o.Verifier(); err != nil || v.Name() != o.Name {
			t.Errorf("operator %q: verifier %v, %v", o.Name, v, err)
		}
		if v, err := o.BoardVerifier(); err != nil || v.Name() != o.Name {
			t.Errorf("operator %q: board verifier %v, %v", o.Name, v, err)
		}
		if want := "https://" + o.Name; i < 3 && o.URL != want || i == 3 && o.URL != "" {
			t.Errorf("operator %q: URL %q", o.Name, o.URL)
		}
		if m.Operator(o.Name) != &m.Operators[i] {
			t.Errorf("Operator(%q) is not operator %d", o.Name, i)
		}
	}
	if m.Operator("op5.vote.example.org") != nil || m.IsOperator("op5.vote.example.org") {
		t.Error("Operator finds an operator the definition does not name")
	}
	for _, w := range m.Witnesses {
		if v, err := w.Verifier(); err != nil || v.Name() != w.Name {
			t.Errorf("witness %q: verifier %v, %v", w.Name, v, err)
		}
	}
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	order := []string{`"threshold":2,`, `"min_counted":3,`, `"board":{"origin":"vote.example.org/2026","key":`, `"witnesses":[{"name":"w1.example","key":`, `"witness_quorum":2,`, `"operators":[{"name":"op1.vote.example.org","key":`, `"board_key":"op1.vote.example.org+`, `"url":"https://op1.vote.example.org"}`, `"board_key":"op4.vote.example.org+`}
	for i := 1; i < len(order); i++ {
		if a, b := bytes.Index(c, []byte(order[i-1])), bytes.Index(c, []byte(order[i])); a < 0 || b < 0 || a > b {
			t.Errorf("canonical form: %s (at %d) does not come before %s (at %d)", order[i-1], a, order[i], b)
		}
	}
	back, err := ParseCanonicalManifest(c)
	if err != nil {
		t.Fatalf("ParseCanonicalManifest(MarshalCanonical) = %v", err)
	}
	plain := sampleManifest(t)
	h1, _ := plain.Hash()
	h2, _ := back.Hash()
	if h1 == h2 {
		t.Error("the trust policy does not change the manifest hash")
	}
	// Without them, the canonical form has none of the fields.
	pc, _ := plain.MarshalCanonical()
	if bytes.Contains(pc, []byte(`"board"`)) || bytes.Contains(pc, []byte(`"witness`)) || bytes.Contains(pc, []byte(`"operators"`)) {
		t.Errorf("a definition without a trust policy writes one: %s", pc)
	}
}

func TestTrustPolicyInvalid(t *testing.T) {
	board, ws := trustKeys(t, "vote.example.org/2026", "w1.example", "w2.example")
	otherBoard, _ := trustKeys(t, "other.example/board")
	_, ops := trustKeys(t, "unused", "op1.example", "op2.example")
	op1Board, _ := trustKeys(t, "op1.example")
	op2Board, _ := trustKeys(t, "op2.example")
	op1 := func(k, v string) []any {
		o := map[string]any{"name": "op1.example", "key": ops[0], "board_key": op1Board}
		if v == "" {
			delete(o, k)
		} else {
			o[k] = v
		}
		return []any{o}
	}
	two := func() []any {
		return []any{map[string]any{"name": "w1.example", "key": ws[0]}, map[string]any{"name": "w2.example", "key": ws[1]}}
	}
	for _, tt := range []struct {
		name, path, want string
		f                func(m map[string]any)
	}{
		{"board key of another origin", "$.board.key", `is the key of "other.example/board"`, func(m map[string]any) {
			m["board"] = map[string]any{"origin": "vote.example.org/2026", "key": otherBoard}
		}},
		{"origin with a space", "$.board.origin", "is not a log name", func(m map[string]any) {
			m["board"] = map[string]any{"origin": "vote example", "key": board}
		}},
		{"origin with a scheme", "$.board.origin", "is not a log name", func(m map[string]any) {
			m["board"] = map[string]any{"origin": "https://vote.example.org", "key": board}
		}},
		{"board without a key", "$.board.key", "missing", func(m map[string]any) {
			m["board"] = map[string]any{"origin": "vote.example.org/2026"}
		}},
		{"witness key of another name", "$.witnesses[1].key", `is the key of "w2.example", not of "w9.example"`, func(m map[string]any) {
			w := two()
			w[1].(map[string]any)["name"] = "w9.example"
			m["witnesses"], m["witness_quorum"] = w, 1
		}},
		{"witness key that is the board's", "$.witnesses[0].key", "not a witness cosignature key", func(m map[string]any) {
			w := two()
			w[0].(map[string]any)["key"] = "vote.example.org/2026+01234567+AQ=="
			m["witnesses"], m["witness_quorum"] = w, 1
		}},
		{"duplicate witness", "$.witnesses[1].name", "same name", func(m map[string]any) {
			w := two()
			w[1] = w[0]
			m["witnesses"], m["witness_quorum"] = w, 1
		}},
		{"no quorum", "$.witness_quorum", "missing", func(m map[string]any) { m["witnesses"] = two() }},
		{"quorum above the witnesses", "$.witness_quorum", "from 1 to the 2 witnesses", func(m map[string]any) {
			m["witnesses"], m["witness_quorum"] = two(), 3
		}},
		{"quorum of zero", "$.witness_quorum", "from 1 to the 2 witnesses", func(m map[string]any) {
			m["witnesses"], m["witness_quorum"] = two(), 0
		}},
		{"quorum without witnesses", "$.witness_quorum", "without witnesses", func(m map[string]any) { m["witness_quorum"] = 1 }},
		{"empty witnesses", "$.witnesses", "is empty", func(m map[string]any) { m["witnesses"] = []any{} }},
		{"empty operators", "$.operators", "is empty: leave it out for a board of one operator", func(m map[string]any) { m["operators"] = []any{} }},
		{"operators not an array", "$.operators", "", func(m map[string]any) { m["operators"] = "op1.example" }},
		{"operator key of another name", "$.operators[0].key", `is the key of "op1.example", not of "op9.example"`, func(m map[string]any) {
			m["operators"] = op1("name", "op9.example")
		}},
		{"operator key that is not a key", "$.operators[0].key", "not an operator cosignature key", func(m map[string]any) {
			m["operators"] = op1("key", "op1.example+01234567+AQ==")
		}},
		{"operator with a space", "$.operators[0].name", "is not an operator name", func(m map[string]any) {
			m["operators"] = op1("name", "op 1")
		}},
		{"duplicate operator key", "$.operators[1].key", "same key as $.operators[0]", func(m map[string]any) {
			m["operators"] = append(op1("", ""), op1("", "")...)
		}},
		{"operator without a key", "$.operators[0].key", "missing", func(m map[string]any) {
			m["operators"] = op1("key", "")
		}},
		{"operator without a board key", "$.operators[0].board_key", "missing", func(m map[string]any) {
			m["operators"] = op1("board_key", "")
		}},
		{"operator board key of another operator", "$.operators[0].board_key", `is the key of "op2.example", not of "op1.example"`, func(m map[string]any) {
			m["operators"] = op1("board_key", op2Board)
		}},
		{"operator board key that is its cosignature key", "$.operators[0].board_key", "not a board verifier key", func(m map[string]any) {
			m["operators"] = op1("board_key", ops[0])
		}},
		{"operator URL without a scheme", "$.operators[0].url", "is not the web address of a board", func(m map[string]any) {
			m["operators"] = op1("url", "op1.example:8080")
		}},
		{"operator URL with a trailing slash", "$.operators[0].url", "is not the web address of a board", func(m map[string]any) {
			m["operators"] = op1("url", "https://op1.example/")
		}},
		{"operator URL with a query", "$.operators[0].url", "is not the web address of a board", func(m map[string]any) {
			m["operators"] = op1("url", "https://op1.example/board?x=1")
		}},
		{"operator URL of another scheme", "$.operators[0].url", "is not the web address of a board", func(m map[string]any) {
			m["operators"] = op1("url", "ftp://op1.example")
		}},
		{"operator with an unknown member", "$.operators[0].board", "unknown field", func(m map[string]any) {
			m["operators"] = op1("board", "x")
		}},
		{"too many operators", "$.operators", "33 operators, at most 32 allowed", func(m map[string]any) {
			var many []any
			for range 33 {
				many = append(many, op1("", "")[0])
			}
			m["operators"] = many
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest(mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), tt.f))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseManifest = %v, want a *ParseError", err)
			}
			found := false
			for _, p := range pe.Problems {
				found = found || p.Path == tt.path && strings.Contains(p.Message, tt.want)
			}
			if !found {
				t.Errorf("problems %v, want %s: …%s…", pe.Problems, tt.path, tt.want)
			}
		})
	}
}

// TestOperatorQuorum: more than two thirds of the operators, so that f of
// 3f + 1 cannot make it alone.
func TestOperatorQuorum(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5, 10: 7, 32: 22} {
		m := &Manifest{Operators: make([]Operator, n)}
		got := m.OperatorQuorum()
		if got != want {
			t.Errorf("OperatorQuorum of %d operators = %d, want %d", n, got, want)
		}
		// Recompute: the least q with 3q > 2n.
		if n > 0 && (3*got <= 2*n || 3*(got-1) > 2*n) {
			t.Errorf("OperatorQuorum of %d operators = %d, not the least number above two thirds", n, got)
		}
	}
}

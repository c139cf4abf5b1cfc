package election_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
)

// TestCheckTrust: a participant acts on a checkpoint only if it is from
// the board the definition names and carries the quorum of cosignatures of
// the definition's witnesses (docs/spec/ballot.md §1.1,
// docs/spec/bulletin.md §5.1); the state checks it against its definition
// once the definition is in.
func TestCheckTrust(t *testing.T) {
	h := theHistory(t)
	skey, vkey, err := note.GenerateKey(rand.Reader, "vote.example/trust")
	must(t, err)
	board, err := note.NewSigner(skey)
	must(t, err)
	var witnesses []ballot.Witness
	var cosigners []note.Signer
	for _, name := range []string{"w1.example", "w2.example", "w3.example"} {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		must(t, err)
		cs, err := torchwood.NewCosignatureSigner(name, priv)
		must(t, err)
		cosigners = append(cosigners, cs)
		witnesses = append(witnesses, ballot.Witness{Name: name, Key: cs.Verifier().String()})
	}
	m, official, _, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1,
		Board: &ballot.Board{Origin: "vote.example/trust", Key: vkey}, Witnesses: witnesses, WitnessQuorum: 2})
	must(t, err)
	cp := bulletin.Checkpoint{Origin: "vote.example/trust", Size: 5, Hash: sha256.Sum256([]byte("a tree"))}
	sign := func(cp bulletin.Checkpoint, signers ...note.Signer) []byte {
		t.Helper()
		signed, err := note.Sign(&note.Note{Text: string(cp.Text())}, append([]note.Signer{board}, signers...)...)
		must(t, err)
		return signed
	}

	st := election.NewState()
	if names, err := st.CheckCheckpoint(sign(cp), cp); names.Names != nil || err != nil {
		t.Errorf("CheckCheckpoint before a definition = %v, %v; want nothing checked", names, err)
	}
	st.SetBoard(vkey)
	h.admit(t, st, official, election.TypeDefinition, m)

	check := func(what string, signed []byte, cp bulletin.Checkpoint, wantNames []string, wantErr string) {
		t.Helper()
		for _, f := range []func() (bulletin.Cosigned, error){
			func() (bulletin.Cosigned, error) { return election.CheckTrust(m, signed, cp) },
			func() (bulletin.Cosigned, error) { return st.CheckCheckpoint(signed, cp) },
		} {
			c, err := f()
			names := c.Names
			switch {
			case wantErr == "" && err != nil:
				t.Errorf("%s: %v", what, err)
			case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
				t.Errorf("%s: error %v, want one saying %q", what, err, wantErr)
			}
			slices.Sort(names)
			if !slices.Equal(names, wantNames) {
				t.Errorf("%s: cosigners %v, want %v", what, names, wantNames)
			}
		}
	}
	check("cosigned by witnesses 1 and 3", sign(cp, cosigners[0], cosigners[2]), cp, []string{"w1.example", "w3.example"}, "")
	check("cosigned by all three", sign(cp, cosigners...), cp, []string{"w1.example", "w2.example", "w3.example"}, "")
	check("cosigned by witness 2 alone", sign(cp, cosigners[1]), cp, []string{"w2.example"},
		"the board's checkpoint of 5 records is not cosigned by a quorum: 1 of the 2 required cosignatures of the witnesses (missing: w1.example, w3.example) of the election's trust policy")
	check("cosigned by none", sign(cp), cp, nil, "0 of the 2 required cosignatures")
	other := cp
	other.Origin = "vote.example/other"
	check("from another board", sign(cp, cosigners...), other, nil,
		`the checkpoint is from the board "vote.example/other", not the board "vote.example/trust" that the election definition names`)
	_, err = election.CheckTrust(m, sign(cp), cp)
	if !errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("CheckTrust of an uncosigned checkpoint: %v, want ErrNoQuorum", err)
	}

	// A definition with no witnesses requires no cosignature.
	plain, _, _, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1})
	must(t, err)
	if names, err := election.CheckTrust(plain, sign(cp), cp); names.Names != nil || err != nil {
		t.Errorf("CheckTrust with no witnesses = %v, %v", names, err)
	}
	// Nor does a definition whose witness keys do not parse pass.
	bad := *m
	bad.Witnesses = append([]ballot.Witness(nil), m.Witnesses...)
	bad.Witnesses[1].Key = "w2.example+00000000+AAAA"
	if _, err := election.CheckTrust(&bad, sign(cp, cosigners...), cp); err == nil || !strings.Contains(err.Error(), `witness "w2.example"`) {
		t.Errorf("CheckTrust with a witness key that does not parse: %v", err)
	}
	if _, err := election.TrustPolicy(&bad); err == nil {
		t.Error("TrustPolicy accepted a witness key that does not parse")
	}
	policy, err := election.TrustPolicy(m)
	if err != nil || len(policy) != 1 || policy[0].Quorum != 2 || len(policy[0].Cosigners) != 3 {
		t.Errorf("TrustPolicy = %+v, %v", policy, err)
	}
}

// TestCheckTrustOperators: a definition naming a replicated board's four
// operators demands more than two thirds of them, three, besides its
// witnesses' quorum, through the same policy (docs/spec/ballot.md §1.1,
// docs/spec/replicated-board.md §8). An operator's cosignature of another
// tree is named, counts for nothing, and does not spoil the quorum of the
// other three.
func TestCheckTrustOperators(t *testing.T) {
	h := theHistory(t)
	skey, vkey, err := note.GenerateKey(rand.Reader, "vote.example/op1")
	must(t, err)
	board, err := note.NewSigner(skey)
	must(t, err)
	newCosigner := func(name string) note.Signer {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		must(t, err)
		cs, err := torchwood.NewCosignatureSigner(name, priv)
		must(t, err)
		return cs
	}
	witness := newCosigner("w1.example")
	var ops, opBoards []note.Signer
	var operators []ballot.Operator
	newBoard := func(name string) (note.Signer, string) {
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		must(t, err)
		s, err := note.NewSigner(skey)
		must(t, err)
		return s, vkey
	}
	for i := range 4 {
		cs := newCosigner(fmt.Sprintf("op%d.vote.example", i+1))
		bs, bk := newBoard(cs.Name())
		ops, opBoards = append(ops, cs), append(opBoards, bs)
		operators = append(operators, ballot.Operator{Name: cs.Name(), Key: cs.(*torchwood.CosignatureSigner).Verifier().String(), BoardKey: bk})
	}
	m, official, _, _, err := simulate.NewManifest(simulate.Options{Trustees: 1, Threshold: 1,
		Board:     &ballot.Board{Origin: "vote.example/op1", Key: vkey},
		Witnesses: []ballot.Witness{{Name: "w1.example", Key: witness.(*torchwood.CosignatureSigner).Verifier().String()}}, WitnessQuorum: 1,
		Operators: operators})
	must(t, err)
	st := election.NewState()
	st.SetBoard(vkey)
	h.admit(t, st, official, election.TypeDefinition, m)

	cp := bulletin.Checkpoint{Origin: "vote.example/op1", Size: 9, Hash: sha256.Sum256([]byte("the tree"))}
	sign := func(text []byte, signers ...note.Signer) []byte {
		t.Helper()
		signed, err := note.Sign(&note.Note{Text: string(text)}, append([]note.Signer{board}, signers...)...)
		must(t, err)
		return signed
	}
	// Operator 4 cosigns a checkpoint of another tree of the same size;
	// its line is pasted under the true checkpoint.
	lie := cp
	lie.Hash = sha256.Sum256([]byte("another tree"))
	liar, err := note.Sign(&note.Note{Text: string(lie.Text())}, ops[3])
	must(t, err)
	lieLine := liar[len(lie.Text())+1:]

	for _, tt := range []struct {
		what              string
		signed            []byte
		names, faulty     []string
		wantErr, wantErr2 string
	}{
		{"witness and three operators", sign(cp.Text(), witness, ops[0], ops[1], ops[2]),
			[]string{"op1.vote.example", "op2.vote.example", "op3.vote.example", "w1.example"}, nil, "", ""},
		{"three operators and operator 4's cosignature of another tree", append(sign(cp.Text(), witness, ops[0], ops[1], ops[2]), lieLine...),
			[]string{"op1.vote.example", "op2.vote.example", "op3.vote.example", "w1.example"}, []string{"op4.vote.example"}, "", ""},
		{"two operators and operator 4's cosignature of another tree", append(sign(cp.Text(), witness, ops[0], ops[1]), lieLine...),
			[]string{"op1.vote.example", "op2.vote.example", "w1.example"}, []string{"op4.vote.example"},
			"2 of the 3 required cosignatures of the operators (missing: op3.vote.example, op4.vote.example); the cosignatures of op4.vote.example do not verify", ""},
		{"two operators", sign(cp.Text(), witness, ops[1], ops[3]),
			[]string{"op2.vote.example", "op4.vote.example", "w1.example"}, nil, "2 of the 3 required cosignatures of the operators (missing: op1.vote.example, op3.vote.example)", ""},
		{"operators without the witness", sign(cp.Text(), ops...),
			[]string{"op1.vote.example", "op2.vote.example", "op3.vote.example", "op4.vote.example"}, nil, "0 of the 1 required cosignatures of the witnesses", ""},
		{"the board alone", sign(cp.Text()), nil, nil, "of the witnesses", "of the operators"},
	} {
		for _, f := range []func() (bulletin.Cosigned, error){
			func() (bulletin.Cosigned, error) { return election.CheckTrust(m, tt.signed, cp) },
			func() (bulletin.Cosigned, error) { return st.CheckCheckpoint(tt.signed, cp) },
		} {
			c, err := f()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("%s: %v", tt.what, err)
			case tt.wantErr != "" && (!errors.Is(err, bulletin.ErrNoQuorum) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.wantErr2)):
				t.Errorf("%s: error %v, want no quorum saying %q and %q", tt.what, err, tt.wantErr, tt.wantErr2)
			}
			slices.Sort(c.Names)
			if !slices.Equal(c.Names, tt.names) || !slices.Equal(c.Faulty, tt.faulty) {
				t.Errorf("%s: cosigners %v, faulty %v; want %v, %v", tt.what, c.Names, c.Faulty, tt.names, tt.faulty)
			}
		}
	}
	// Another operator's checkpoint (its origin is its name), signed by
	// the board key the definition names for it, passes with the same
	// quorum; signed by another key of its name (one the definition does
	// not name: whoever holds it is not operator 2), it is refused, even
	// with the quorum, and so is one that carries no board signature of
	// operator 2 at all; another origin is another board's.
	op2cp := cp
	op2cp.Origin = "op2.vote.example"
	opSign := func(board note.Signer, signers ...note.Signer) []byte {
		t.Helper()
		signed, err := note.Sign(&note.Note{Text: string(op2cp.Text())}, append([]note.Signer{board}, signers...)...)
		must(t, err)
		return signed
	}
	if c, err := election.CheckTrust(m, opSign(opBoards[1], witness, ops[0], ops[1], ops[2]), op2cp); err != nil || len(c.Names) != 4 {
		t.Errorf("operator 2's checkpoint with the quorum: %+v, %v", c, err)
	}
	if _, err := election.CheckTrust(m, opSign(opBoards[1], witness, ops[0]), op2cp); !errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("operator 2's checkpoint without the quorum: %v, want no quorum", err)
	}
	impostor, _ := newBoard("op2.vote.example")
	for what, signed := range map[string][]byte{
		"another key of operator 2's name": opSign(impostor, witness, ops[0], ops[1], ops[2]),
		"operator 3's board key":           opSign(opBoards[2], witness, ops[0], ops[1], ops[2]),
		"the definition's board key":       opSign(board, witness, ops[0], ops[1], ops[2]),
	} {
		for _, f := range []func() (bulletin.Cosigned, error){
			func() (bulletin.Cosigned, error) { return election.CheckTrust(m, signed, op2cp) },
			func() (bulletin.Cosigned, error) { return st.CheckCheckpoint(signed, op2cp) },
		} {
			if _, err := f(); !errors.Is(err, election.ErrOperatorBoardKey) || !strings.Contains(err.Error(), `operator "op2.vote.example"`) {
				t.Errorf("operator 2's checkpoint signed by %s, with the quorum: %v, want refused naming operator 2 and its board key", what, err)
			}
		}
	}
	stranger := cp
	stranger.Origin = "op9.vote.example"
	if _, err := election.CheckTrust(m, sign(stranger.Text(), witness, ops[0], ops[1], ops[2]), stranger); err == nil || !strings.Contains(err.Error(), `the checkpoint is from the board "op9.vote.example"`) {
		t.Errorf("a checkpoint of an origin that is no operator's: %v", err)
	}
	// A participant following operator 2's board under the key the
	// definition names for it takes the definition; one following a board
	// of operator 2's name under another key, or a board of another name,
	// does not.
	_, strangerKey := newBoard("op9.vote.example")
	_, impostorKey := newBoard("op2.vote.example")
	for _, tt := range []struct {
		what, key, wantErr string
	}{
		{"operator 2's board", m.Operators[1].BoardKey, ""},
		{"a board of operator 2's name under another key", impostorKey, `the definition names the board key ` + m.Operators[1].BoardKey + ` for operator "op2.vote.example"`},
		{"a board of another name", strangerKey, `not this board "op9.vote.example"`},
	} {
		other := election.NewState()
		other.SetBoard(tt.key)
		rec, v := h.next(t, other, official, election.TypeDefinition, m)
		err := other.Admit(rec, v)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("a participant following %s: definition admitted: %v, want %q", tt.what, err, tt.wantErr)
		}
	}

	policy, err := election.TrustPolicy(m)
	if err != nil || len(policy) != 2 || policy[1].Role != "operators" || policy[1].Quorum != 3 || len(policy[1].Cosigners) != 4 {
		t.Errorf("TrustPolicy = %+v, %v; want the witnesses' and the operators' (3 of 4)", policy, err)
	}
	bad := *m
	bad.Operators = append([]ballot.Operator(nil), m.Operators...)
	bad.Operators[2].Key = "op3.vote.example+00000000+AAAA"
	if _, err := election.TrustPolicy(&bad); err == nil || !strings.Contains(err.Error(), `operator "op3.vote.example"`) {
		t.Errorf("TrustPolicy with an operator key that does not parse: %v", err)
	}
}

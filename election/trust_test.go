package election_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
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
	if names, err := st.CheckCheckpoint(sign(cp), cp); names != nil || err != nil {
		t.Errorf("CheckCheckpoint before a definition = %v, %v; want nothing checked", names, err)
	}
	st.SetBoard(vkey)
	h.admit(t, st, official, election.TypeDefinition, m)

	check := func(what string, signed []byte, cp bulletin.Checkpoint, wantNames []string, wantErr string) {
		t.Helper()
		for _, f := range []func() ([]string, error){
			func() ([]string, error) { return election.CheckTrust(m, signed, cp) },
			func() ([]string, error) { return st.CheckCheckpoint(signed, cp) },
		} {
			names, err := f()
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
		"the board's checkpoint of 5 records is not cosigned by a quorum: 1 of the 2 required cosignatures (missing: w1.example, w3.example) of the election's witnesses")
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
	if names, err := election.CheckTrust(plain, sign(cp), cp); names != nil || err != nil {
		t.Errorf("CheckTrust with no witnesses = %v, %v", names, err)
	}
	// Nor does a definition whose witness keys do not parse pass.
	bad := *m
	bad.Witnesses = append([]ballot.Witness(nil), m.Witnesses...)
	bad.Witnesses[1].Key = "w2.example+00000000+AAAA"
	if _, err := election.CheckTrust(&bad, sign(cp, cosigners...), cp); err == nil || !strings.Contains(err.Error(), `witness "w2.example"`) {
		t.Errorf("CheckTrust with a witness key that does not parse: %v", err)
	}
	if _, err := election.WitnessPolicy(&bad); err == nil {
		t.Error("WitnessPolicy accepted a witness key that does not parse")
	}
	policy, err := election.WitnessPolicy(m)
	if err != nil || policy.Quorum != 2 || len(policy.Cosigners) != 3 {
		t.Errorf("WitnessPolicy = %+v, %v", policy, err)
	}
}

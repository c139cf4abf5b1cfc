package election_test

import (
	"errors"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// TestRefusesReplay: the rules refuse a replay of every record of the
// history whose type the policy says they refuse (RefusesReplay), at the
// mark right after it and at every later one, as a replicated board's
// CheckTx takes for sure; and they take a replay of the client hash, which
// the policy therefore leaves to the block.
func TestRefusesReplay(t *testing.T) {
	h := theHistory(t)
	p := election.NewPolicy(0)
	clientReplayed := false
	for _, mark := range historyMarks {
		n := h.marks[mark]
		st := h.state(t, mark)
		for _, orig := range h.recs[:n] {
			size, root := st.TreeHead()
			rec := &bulletin.Record{
				Index: uint64(size), Time: h.recs[len(h.recs)-1].Time, Type: orig.Type,
				Payload: orig.Payload, Author: orig.Author, Sig: orig.Sig, Prev: make([]byte, bulletin.HashSize),
			}
			v, err := election.Decode(rec.Type, rec.Payload)
			if err != nil {
				t.Fatal(err)
			}
			err = st.Admit(rec, v)
			var rej *bulletin.RejectError
			switch {
			case p.RefusesReplay(orig.Type) && !errors.As(err, &rej):
				t.Errorf("at %s, a replay of record %d (%s) = %v, want a refusal", mark, orig.Index, orig.Type, err)
			case !p.RefusesReplay(orig.Type) && err == nil:
				clientReplayed = true
				st = h.state(t, mark) // undo the replay
			case p.RefusesReplay(orig.Type):
				if s, r := st.TreeHead(); s != size || r != root {
					t.Fatalf("at %s, the refused replay of record %d changed the tree head", mark, orig.Index)
				}
			}
		}
	}
	if !clientReplayed {
		t.Error("the rules never took a replay of the client hash: RefusesReplay may name it")
	}
	// Every type the policy decodes (recordTypes, which a new type joins
	// for the fuzzer) is judged: refused, or the client hash.
	for _, typ := range recordTypes[:len(recordTypes)-1] {
		if !p.RefusesReplay(typ) && typ != election.TypeClientHash {
			t.Errorf("RefusesReplay(%q) = false", typ)
		}
	}
	for _, typ := range []string{election.TypeMix, election.TypeMixDecryption, election.TypeRankedResult, election.TypeWriteInResult} {
		if !p.RefusesReplay(typ) {
			t.Errorf("RefusesReplay(%q) = false", typ)
		}
	}
	for _, typ := range []string{election.TypeClientHash, "mystery"} {
		if p.RefusesReplay(typ) {
			t.Errorf("RefusesReplay(%q) = true", typ)
		}
	}
}

package election_test

import (
	"errors"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// TestRefusesReplay: the rules refuse a replay of every record of the
// history, at every mark after it, as a replicated board's CheckTx takes
// for sure of every type the policy names (RefusesReplay), which is every
// type the policy decodes.
func TestRefusesReplay(t *testing.T) {
	h := theHistory(t)
	p := election.NewPolicy(0)
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
			if !errors.As(err, &rej) {
				t.Errorf("at %s, a replay of record %d (%s) = %v, want a refusal", mark, orig.Index, orig.Type, err)
			} else if s, r := st.TreeHead(); s != size || r != root {
				t.Fatalf("at %s, the refused replay of record %d changed the tree head", mark, orig.Index)
			}
		}
	}
	// Every type the policy decodes (recordTypes, which a new type joins
	// for the fuzzer) is named, and only those.
	for _, typ := range recordTypes[:len(recordTypes)-1] {
		if !p.RefusesReplay(typ) {
			t.Errorf("RefusesReplay(%q) = false", typ)
		}
	}
	for _, typ := range []string{election.TypeMix, election.TypeMixDecryption, election.TypeRankedResult, election.TypeWriteInResult} {
		if !p.RefusesReplay(typ) {
			t.Errorf("RefusesReplay(%q) = false", typ)
		}
	}
	if p.RefusesReplay("mystery") {
		t.Error(`RefusesReplay("mystery") = true`)
	}
}

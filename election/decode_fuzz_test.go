package election_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
)

// recordTypes are the record types Decode knows, and one it does not.
var recordTypes = []string{
	election.TypeDefinition, election.TypeCommitments, election.TypeShares,
	election.TypeVerdict, election.TypeJointKey, election.TypeClientHash,
	election.TypePhase, election.TypeBallot, election.TypeChallenge,
	election.TypePartial, election.TypeResult, election.TypeRoll,
	election.TypeRollClose, "no-such-type",
}

// simulatedRecords runs a small election to its result on an in-memory
// board (a client hash, a challenge and a re-vote included) and returns
// its records: at least one of every record type.
func simulatedRecords(tb testing.TB) []*bulletin.Record {
	tb.Helper()
	ctx := context.Background()
	check := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	skey, _, err := note.GenerateKey(rand.Reader, "fuzz-board")
	check(err)
	signer, err := note.NewSigner(skey)
	check(err)
	tracker := new(election.Tracker)
	log, err := bulletin.OpenLog(ctx, store.NewMemory(), tracker.New, bulletin.LogOptions{Signer: signer})
	check(err)
	defer log.Close()
	const voters = 3
	// Two ballot styles and weights: voter 1 (who votes again) of weight
	// 2, voter 2 of the short style and weight 5.
	e, err := simulate.New(ctx, log.Append, tracker.Current, simulate.Options{Voters: voters, Trustees: 3, Threshold: 2,
		Styles: []ballot.Style{{ID: "all", Contests: []string{"mayor", "council", "parks", "budget"}}, {ID: "short", Contests: []string{"mayor", "budget"}}},
		Assign: func(v int) (string, uint64) { return [...]string{"all", "all", "short"}[v], uint64(v*v + 1) },
	})
	check(err)
	check(e.Ceremony(ctx))
	sub, err := election.NewSubmission(e.Official, election.TypeClientHash,
		tracker.State().ClientHashRecord("voter.wasm", sha256.Sum256([]byte("a client build"))))
	check(err)
	_, _, err = log.Append(ctx, sub)
	check(err)
	check(e.SetPhase(ctx, election.PhaseOpen))
	for v := range voters {
		_, _, err := e.Cast(ctx, v, e.VoterChoices(v))
		check(err)
	}
	_, err = e.Challenge(ctx, 0, e.VoterChoices(0))
	check(err)
	_, _, err = e.Cast(ctx, 1, e.VoterChoices(1))
	check(err)
	check(e.SetPhase(ctx, election.PhaseClosed))
	check(e.Decrypt(ctx, 1))
	check(e.Decrypt(ctx, 3))
	_, err = e.Tally(ctx)
	check(err)

	var recs []*bulletin.Record
	for i := range log.Size() {
		r, err := log.Record(ctx, i)
		check(err)
		recs = append(recs, r)
	}
	return recs
}

// FuzzDecode checks that Decode never panics, that its errors wrap
// ErrMalformed, and that what it accepts holds no null and is the
// canonical encoding of its value: Marshal gives the payload back. The
// seeds are the records of a simulated election, each also with every
// top-level member set to null in turn.
func FuzzDecode(f *testing.F) {
	kind := make(map[string]uint8, len(recordTypes))
	for i, typ := range recordTypes {
		kind[typ] = uint8(i)
	}
	seen := make(map[string]bool)
	for _, r := range simulatedRecords(f) {
		k, ok := kind[r.Type]
		if !ok {
			f.Fatalf("the simulation posted a record of type %q, which FuzzDecode does not know", r.Type)
		}
		seen[r.Type] = true
		f.Add(k, []byte(r.Payload))
		if bytes.HasPrefix(r.Payload, []byte("{")) && len(r.Payload) < 1<<14 {
			for _, v := range nullVariants(f, r.Payload) {
				f.Add(k, v)
			}
		}
	}
	for _, typ := range recordTypes[:len(recordTypes)-1] {
		if !seen[typ] {
			f.Fatalf("the simulation posted no record of type %q", typ)
		}
	}
	f.Add(kind[election.TypePartial], []byte(`{"election":"00","partial":null}`))
	f.Add(kind[election.TypeResult], []byte(`null`))
	f.Fuzz(func(t *testing.T, k uint8, payload []byte) {
		typ := recordTypes[int(k)%len(recordTypes)]
		v, err := election.Decode(typ, payload)
		if err != nil {
			if v != nil {
				t.Fatalf("Decode(%s, %q) returned %T and error %v", typ, payload, v, err)
			}
			if !errors.Is(err, election.ErrMalformed) {
				t.Fatalf("Decode(%s, %q) = %v, which does not wrap ErrMalformed", typ, payload, err)
			}
			return
		}
		if holdsNull(payload) {
			t.Fatalf("Decode(%s, %q) accepted a null", typ, payload)
		}
		out, err := election.Marshal(v)
		if err != nil {
			t.Fatalf("Decode(%s, %q) accepted it, but Marshal fails: %v", typ, payload, err)
		}
		if !bytes.Equal(out, payload) {
			t.Fatalf("Decode(%s, %q) accepted it, but Marshal gives %q", typ, payload, out)
		}
	})
}

// holdsNull reports whether the valid JSON data has a null anywhere.
func holdsNull(data []byte) bool {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case nil:
			return true
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

package verifier_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/evote/evote/verifier/verifiertest"
)

// small is the election most tests verify or tamper with: 5 trustees,
// t = 3, trustee 3 absent at the tally, 30 voters, 3 challenges and 2
// re-votes, the four sample contests.
var small struct {
	once   sync.Once
	e      *verifiertest.Election
	export []byte
	err    error
}

func smallElection(t testing.TB) (*verifiertest.Election, []byte) {
	t.Helper()
	small.once.Do(func() {
		var buf bytes.Buffer
		small.e, small.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: 30, Trustees: 5, Threshold: 3, Challenges: 3, Revotes: 2, Absent: []int{3},
		}, &buf)
		small.export = buf.Bytes()
	})
	if small.err != nil {
		t.Fatalf("generating the election: %v", small.err)
	}
	return small.e, small.export
}

package ballot

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/evote/evote/crypto"
)

func TestBallotBatch(t *testing.T) {
	vs := voters(4)
	e := newTestElection(t, manifestKofN(t, 4, 2), vs)
	n := 12
	if testing.Short() {
		n = 6
	}
	var ballots []*EncryptedBallot
	for i := 0; i < n; i++ {
		ch := Choices{{0, 0, 0, 0}}
		ch[0][i%4] = 1
		b, _ := mustEncrypt(t, e, vs[i%4].Public, ch, ConfirmationCode{})
		ballots = append(ballots, b)
	}
	bb := NewBallotBatch(e)
	for i, b := range ballots {
		if idx, err := bb.Add(b, b.Credential); err != nil || idx != i {
			t.Fatalf("Add(%d) = %d, %v", i, idx, err)
		}
	}
	if err := bb.Verify(); err != nil {
		t.Fatalf("Verify(valid batch) = %v", err)
	}

	// Tamper with ballots 1 (option 2) and 4 (sum proof, from ballot 0).
	bad := slices.Clone(ballots)
	bad[1] = clone(t, ballots[1])
	bad[1].Contests[0].Options[2].Proof = ballots[5].Contests[0].Options[2].Proof
	bad[4] = clone(t, ballots[4])
	bad[4].Contests[0].SumProof = ballots[0].Contests[0].SumProof
	bb = NewBallotBatch(e)
	for _, b := range bad {
		if _, err := bb.Add(b, b.Credential); err != nil {
			t.Fatal(err)
		}
	}
	err := bb.Verify()
	var be *BatchError
	if !errors.As(err, &be) || !errors.Is(err, ErrBadProof) {
		t.Fatalf("Verify = %v, want a *BatchError", err)
	}
	if got := be.Ballots(); !slices.Equal(got, []int{1, 4}) {
		t.Fatalf("bad ballots = %v, want [1 4]: %v", got, err)
	}
	var got []string
	for _, f := range be.Failures {
		got = append(got, fmt.Sprintf("%d:%d:%d", f.Ballot, f.Err.Contest, f.Err.Option))
	}
	if want := []string{"1:0:2", "4:0:-1"}; !slices.Equal(got, want) {
		t.Errorf("failures = %v, want %v", got, want)
	}

	// Add refuses, and queues nothing for, ballots failing the cheap checks.
	bb = NewBallotBatch(e)
	if _, err := bb.Add(ballots[0], vs[1].Public); !errors.Is(err, ErrCredentialMismatch) {
		t.Errorf("Add(wrong signer) = %v", err)
	}
	x := clone(t, ballots[0])
	x.Election[3] ^= 1
	if _, err := bb.Add(x, x.Credential); !errors.Is(err, ErrWrongElection) {
		t.Errorf("Add(wrong election) = %v", err)
	}
	if bb.next != 0 || bb.bv.Len() != 0 {
		t.Errorf("rejected ballots were queued")
	}

	// The low-level AddToBatch reports positions.
	bv := crypto.NewBatchVerifier()
	refs, err := AddToBatch(bv, e, ballots[2])
	if err != nil {
		t.Fatal(err)
	}
	want := []ProofRef{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, SumOption}}
	if !slices.Equal(refs, want) || bv.Len() != len(want) {
		t.Errorf("AddToBatch refs = %v (queued %d), want %v", refs, bv.Len(), want)
	}
}

package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/evote/evote/crypto"
)

// TestBallotList: a list's bytes parse back to the same list, the list is
// a copy of its input, and the list API and the slice API of the shuffle
// accept each other's proofs.
func TestBallotList(t *testing.T) {
	f := newFixture("ballot list")
	b := shuffleBallots(f, 4, 3)
	in, err := crypto.NewBallotList(b)
	if err != nil {
		t.Fatal(err)
	}
	enc := in.Bytes()
	if len(enc) != 4*3*crypto.CiphertextSize || !bytes.Equal(enc[:crypto.CiphertextSize], b[0][0].Bytes()) {
		t.Fatalf("Bytes() = %d bytes, want 4×3 ciphertexts in order", len(enc))
	}
	parsed, err := crypto.ParseBallotList(enc, 3)
	if err != nil || !bytes.Equal(parsed.Bytes(), enc) || parsed.Len() != 4 || parsed.Width() != 3 {
		t.Fatalf("ParseBallotList(Bytes()) = %v, does not round-trip", err)
	}
	b[0][0].Set(&b[1][0])
	if !bytes.Equal(in.Bytes(), enc) {
		t.Error("changing the ballots after NewBallotList changed the list")
	}
	got := parsed.Ballots()
	got[0][0].Set(&got[1][0])
	if !bytes.Equal(parsed.Bytes(), enc) || parsed.Ballots()[0][0].Equal(&got[0][0]) == 1 {
		t.Error("changing the result of Ballots() changed the list")
	}

	out, p := crypto.ShuffleList(shuffleCtx, f.pk, parsed)
	if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, parsed, out, p); err != nil {
		t.Fatalf("VerifyShuffleList(valid) = %v", err)
	}
	if err := crypto.VerifyShuffle(shuffleCtx, f.pk, parsed.Ballots(), out.Ballots(), p); err != nil {
		t.Fatalf("VerifyShuffle of ShuffleList's proof = %v", err)
	}
	outParsed, err := crypto.ParseBallotList(out.Bytes(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, parsed, outParsed, p); err != nil {
		t.Fatalf("VerifyShuffleList(parsed output) = %v", err)
	}
	checkPermuted(t, f.sk, parsed.Ballots(), out.Ballots())

	// Swapped lists, a list of another shape, and another proof fail.
	if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, out, parsed, p); !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("VerifyShuffleList(swapped) = %v, want ErrInvalidProof", err)
	}
	short, err := crypto.NewBallotList(parsed.Ballots()[:3])
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, short, out, p); !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("VerifyShuffleList(3 input ballots) = %v, want ErrInvalidProof", err)
	}
	narrow, err := crypto.ParseBallotList(enc, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, narrow, out, p); !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("VerifyShuffleList(12 ballots of 1) = %v, want ErrInvalidProof", err)
	}
}

func TestParseBallotListRejects(t *testing.T) {
	f := newFixture("ballot list rejects")
	l, err := crypto.NewBallotList(shuffleBallots(f, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	enc := l.Bytes()
	nonCanonical := bytes.Clone(enc)
	nonCanonical[3*crypto.CiphertextSize+crypto.ElementSize+31] |= 0x80 // ballot 1, ciphertext 1, B
	for _, tt := range []struct {
		name string
		enc  []byte
		w    int
	}{
		{"empty", nil, 2},
		{"width 0", enc, 0},
		{"ragged", enc[:len(enc)-1], 2},
		{"not a whole ballot", enc, 3},
		{"non-canonical element", nonCanonical, 2},
	} {
		if _, err := crypto.ParseBallotList(tt.enc, tt.w); !errors.Is(err, crypto.ErrInvalidEncoding) {
			t.Errorf("%s: ParseBallotList = %v, want ErrInvalidEncoding", tt.name, err)
		}
	}
	for _, b := range [][][]crypto.Ciphertext{nil, {{}}, {make([]crypto.Ciphertext, 2), make([]crypto.Ciphertext, 1)}} {
		if _, err := crypto.NewBallotList(b); err == nil {
			t.Errorf("NewBallotList(%d ballots, ragged or empty) succeeded", len(b))
		}
	}
}

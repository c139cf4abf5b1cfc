package election

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

// TestBatcherRefusesWhenFull checks that a ballot finding every place of
// ballots in hand taken is refused at once as the board being at capacity,
// and that a place given back can be taken again.
func TestBatcherRefusesWhenFull(t *testing.T) {
	bb := &ballotBatcher{limit: 2}
	var releases []func()
	for range 2 {
		release, err := bb.reserve()
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	if _, err := bb.reserve(); !errors.Is(err, bulletin.ErrQueueFull) {
		t.Fatalf("reserve with every place taken = %v, want ErrQueueFull", err)
	}
	releases[0]()
	if _, err := bb.reserve(); err != nil {
		t.Fatalf("reserve after a release: %v", err)
	}
}

// TestBatcherDropsCancelled checks that a ballot whose poster has gone is
// never verified: its request names no election, so verifying it would
// panic.
func TestBatcherDropsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bb := &ballotBatcher{}
	err := bb.verify(ctx, nil, nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("verify with an ended context = %v, want context.Canceled", err)
	}
	req := &ballotRequest{ctx: ctx, done: make(chan error, 1)}
	bb.mu.Lock()
	bb.queue = append(bb.queue, req)
	bb.workers++
	bb.mu.Unlock()
	bb.work() // returns once the queue is empty, having verified nothing
	select {
	case err := <-req.done:
		t.Fatalf("a cancelled ballot was verified: %v", err)
	default:
	}
}

// TestPolicyShedsBallotsBeforeChecking checks that a ballot arriving when
// every place is taken is refused before the board spends anything on it:
// even one whose signature does not verify and whose payload would not
// decode gets ErrQueueFull, not bad-signature; other records are not held
// back.
func TestPolicyShedsBallotsBeforeChecking(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPolicy(1)
	log, err := bulletin.OpenLog(context.Background(), store.NewMemory(), func() bulletin.Policy { return p }, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	release, err := p.batcher.reserve()
	if err != nil {
		t.Fatal(err)
	}
	bad := func(typ string) *bulletin.Submission {
		return &bulletin.Submission{Type: typ, Payload: []byte(`{"not":"a ballot"}`), Author: make([]byte, 32), Sig: make([]byte, 64)}
	}
	if _, _, err := log.Append(context.Background(), bad(TypeBallot)); !errors.Is(err, bulletin.ErrQueueFull) {
		t.Fatalf("a ballot with no place left: %v, want ErrQueueFull", err)
	}
	var rej *bulletin.RejectError
	if _, _, err := log.Append(context.Background(), bad(TypePhase)); !errors.As(err, &rej) || rej.Code != bulletin.CodeBadSignature {
		t.Fatalf("a phase change with no ballot place left: %v, want bad-signature", err)
	}
	release()
	if _, _, err := log.Append(context.Background(), bad(TypeBallot)); !errors.As(err, &rej) || rej.Code != bulletin.CodeBadSignature {
		t.Fatalf("a ballot with a place: %v, want bad-signature", err)
	}
	if _, err := p.batcher.reserve(); err != nil {
		t.Fatalf("the refused ballot kept its place: %v", err)
	}
}

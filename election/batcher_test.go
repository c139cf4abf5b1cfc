package election

import (
	"context"
	"errors"
	"testing"

	"github.com/evote/evote/bulletin"
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

// TestPolicyShedsBallotsBeforeDecoding checks that a ballot arriving when
// every place is taken is refused before the board spends anything on it:
// even a payload that would not decode gets ErrQueueFull, not malformed.
func TestPolicyShedsBallotsBeforeDecoding(t *testing.T) {
	p := NewPolicy(1)
	release, err := p.batcher.reserve()
	if err != nil {
		t.Fatal(err)
	}
	sub := &bulletin.Submission{Type: TypeBallot, Payload: []byte(`{"not":"a ballot"}`)}
	if err := p.Verify(context.Background(), sub); !errors.Is(err, bulletin.ErrQueueFull) {
		t.Fatalf("Verify with no place left = %v, want ErrQueueFull", err)
	}
	release()
	var rej *bulletin.RejectError
	if err := p.Verify(context.Background(), sub); !errors.As(err, &rej) || rej.Code != bulletin.CodeMalformed {
		t.Fatalf("Verify with a place = %v, want malformed", err)
	}
}

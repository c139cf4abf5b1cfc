package election

import (
	"context"
	"errors"
	"testing"

	"github.com/evote/evote/bulletin"
)

// TestBatcherRefusesWhenFull checks that a ballot finding the verification
// queue full is refused at once as the board being at capacity.
func TestBatcherRefusesWhenFull(t *testing.T) {
	bb := &ballotBatcher{limit: 2}
	bb.queue = []*ballotRequest{{ctx: context.Background()}, {ctx: context.Background()}} // no worker takes them
	err := bb.verify(context.Background(), nil, nil, nil)
	if !errors.Is(err, bulletin.ErrQueueFull) {
		t.Fatalf("verify with a full queue = %v, want ErrQueueFull", err)
	}
	if len(bb.queue) != 2 {
		t.Errorf("the refused ballot was queued: %d waiting", len(bb.queue))
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

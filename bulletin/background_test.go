package bulletin_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/storetest"
)

func openBackground(t *testing.T, s store.Store, newPolicy func() bulletin.Policy) *bulletin.Log {
	t.Helper()
	signer, _ := testNoteKey(t)
	l, err := bulletin.OpenLog(context.Background(), s, newPolicy, bulletin.LogOptions{Signer: signer, Now: fixedClock(), Background: true})
	if err != nil {
		t.Fatalf("OpenLog in the background: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func waitReplay(t *testing.T, l *bulletin.Log) error {
	t.Helper()
	for range 500 {
		if _, _, done, err := l.Replay(); done {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the replay did not end")
	return nil
}

// TestBackgroundOpenServesReadsFirst checks that a log opened in the
// background signs its checkpoint and serves records before its replay,
// refuses appends until the replay ends, naming its progress, and then
// accepts them with the replayed policy's rules.
func TestBackgroundOpenServesReadsFirst(t *testing.T) {
	ctx := context.Background()
	ms, want := storedLog(t, 1200)
	g := storetest.NewGated(ms)
	l := openBackground(t, g, bulletin.NewOpenPolicy)
	if got := l.Checkpoint(); got.Size != want.Size || got.Hash != want.Hash {
		t.Fatalf("checkpoint before the replay = %d %v, want %d %v", got.Size, got.Hash, want.Size, want.Hash)
	}
	if rec, err := l.Record(ctx, 1199); err != nil || rec.Index != 1199 {
		t.Fatalf("reading the last record before the replay: %v", err)
	}
	_, _, err := l.Append(ctx, sub(9999))
	var se *bulletin.StartingError
	if !errors.As(err, &se) || !errors.Is(err, bulletin.ErrQueueFull) || se.Total != 1200 {
		t.Fatalf("Append during the replay = %v, want a StartingError of 1200 records that wraps ErrQueueFull", err)
	}
	if _, total, done, _ := l.Replay(); done || total != 1200 {
		t.Fatalf("Replay() during the replay = total %d, done %v", total, done)
	}
	g.Release()
	if err := waitReplay(t, l); err != nil {
		t.Fatalf("replay: %v", err)
	}
	// The replayed policy knows the stored records: a duplicate is refused.
	if _, _, err := l.Append(ctx, sub(7)); !isDuplicate(err) {
		t.Fatalf("Append of a stored record after the replay = %v, want duplicate", err)
	}
	if _, r, err := l.Append(ctx, sub(1200)); err != nil || r.Index != 1200 {
		t.Fatalf("Append after the replay: %v", err)
	}
}

// TestBackgroundReplayFailureRefusesWrites checks that a stored log the
// policy refuses, found only by the background replay, leaves the board
// serving reads but accepting nothing, saying why.
func TestBackgroundReplayFailureRefusesWrites(t *testing.T) {
	ctx := context.Background()
	ms, _ := storedLog(t, 3)
	l := openBackground(t, ms, func() bulletin.Policy { return rejectAll{} })
	err := waitReplay(t, l)
	if err == nil {
		t.Fatal("a replay the policy refuses ended without an error")
	}
	if _, _, aerr := l.Append(ctx, sub(3)); aerr == nil || aerr.Error() != err.Error() {
		t.Fatalf("Append after a failed replay = %v, want %v", aerr, err)
	}
	if rec, err := l.Record(ctx, 2); err != nil || rec.Index != 2 {
		t.Fatalf("reading after a failed replay: %v", err)
	}
}

// TestBackgroundCloseStopsReplay checks that Close during the replay
// returns and leaves no replay running.
func TestBackgroundCloseStopsReplay(t *testing.T) {
	ms, _ := storedLog(t, 1500)
	g := storetest.NewGated(ms)
	l := openBackground(t, g, bulletin.NewOpenPolicy)
	closed := make(chan struct{})
	go func() { l.Close(); close(closed) }()
	time.Sleep(20 * time.Millisecond)
	g.Release() // the page under way finishes; the next is not read
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return during the replay")
	}
	if _, _, done, err := l.Replay(); !done || !errors.Is(err, bulletin.ErrClosed) {
		t.Fatalf("Replay() after Close = done %v, %v; want done with ErrClosed", done, err)
	}
}

// TestBackgroundFromSmallLogOpensAtOnce checks that a log smaller than
// BackgroundFrom is replayed before OpenLog returns, so that it accepts a
// submission at once.
func TestBackgroundFromSmallLogOpensAtOnce(t *testing.T) {
	ms, _ := storedLog(t, 3)
	signer, _ := testNoteKey(t)
	l, err := bulletin.OpenLog(context.Background(), ms, bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer, Now: fixedClock(), Background: true, BackgroundFrom: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, _, done, _ := l.Replay(); !done {
		t.Fatal("a log under BackgroundFrom returned before its replay")
	}
	if _, _, err := l.Append(context.Background(), sub(3)); err != nil {
		t.Fatalf("Append right after opening: %v", err)
	}
}

package verifier

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestTurnoutCounter checks the streaming histogram against counting
// the same times directly: the width is the smallest that holds every time
// in MaxTurnoutBuckets buckets aligned to it, and every bucket's count is
// right.
func TestTurnoutCounter(t *testing.T) {
	start := time.Date(2026, 3, 1, 7, 59, 58, 0, time.UTC).Unix()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, span := range []int64{0, 1, 47, 48, 200, 3600, 86400 * 3, 86400 * 400} {
		var times []int64
		for range 500 {
			times = append(times, start+rng.Int64N(span+1))
		}
		times = append(times, start, start+span)
		slices.Sort(times)
		var c turnoutCounter
		for _, s := range times {
			c.add(time.Unix(s, 0))
		}
		got := c.result()

		wantWidth := turnoutWidths[len(turnoutWidths)-1]
		for _, w := range turnoutWidths {
			if (start+span)/w-start/w < MaxTurnoutBuckets {
				wantWidth = w
				break
			}
		}
		first := start / wantWidth
		want := make([]int64, (start+span)/wantWidth-first+1)
		for _, s := range times {
			want[s/wantWidth-first]++
		}
		if got.BucketSeconds != wantWidth || !got.Start.Equal(time.Unix(first*wantWidth, 0)) || !slices.Equal(got.Ballots, want) {
			t.Errorf("span %d s: width %d, start %v, counts %v; want %d, %v, %v",
				span, got.BucketSeconds, got.Start, got.Ballots, wantWidth, time.Unix(first*wantWidth, 0).UTC(), want)
		}
		if b := got.BucketStart(len(want) - 1); b.Unix() != (first+int64(len(want))-1)*wantWidth {
			t.Errorf("span %d s: BucketStart(last) = %v", span, b)
		}
	}
	if (&turnoutCounter{}).result() != nil {
		t.Error("a counter of no ballots has a result")
	}
}

package verifier

import "time"

// MaxTurnoutBuckets bounds the buckets of a Turnout.
const MaxTurnoutBuckets = 24

// turnoutWidths are the widths a Turnout's buckets may have, in seconds:
// 1, 5, 10 and 30 seconds, 1, 5, 10 and 30 minutes, 1, 3, 6 and 12 hours,
// a day and a week. Each is a multiple of the one before, so that buckets
// aligned to multiples of their width since the Unix epoch merge exactly
// into wider ones.
var turnoutWidths = []int64{1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400}

// Turnout counts the ballots the board admitted by the time it gave their
// records: Ballots[i] were admitted in the bucket that starts at
// Start + i·BucketSeconds. The width is the smallest of turnoutWidths that
// keeps the buckets to MaxTurnoutBuckets (a week's buckets are never
// merged further), and buckets start at multiples of it since the Unix
// epoch.
type Turnout struct {
	// Start is the start of the first bucket, in UTC.
	Start time.Time `json:"start"`
	// BucketSeconds is the width of every bucket.
	BucketSeconds int64 `json:"bucket_seconds"`
	// Ballots are the counts, bucket by bucket.
	Ballots []int64 `json:"ballots"`
}

// BucketStart returns the start of bucket i.
func (t *Turnout) BucketStart(i int) time.Time {
	return t.Start.Add(time.Duration(int64(i)*t.BucketSeconds) * time.Second)
}

// turnoutCounter builds a Turnout from times that never go backwards, in
// constant memory: when a time falls beyond the last bucket, the buckets
// widen until it fits.
type turnoutCounter struct {
	width  int   // index into turnoutWidths
	first  int64 // the first bucket's number: its start over its width
	counts []int64
}

func (c *turnoutCounter) add(t time.Time) {
	s := t.Unix()
	if c.counts == nil {
		c.first = s / turnoutWidths[c.width]
	}
	for {
		i := s/turnoutWidths[c.width] - c.first
		if i < MaxTurnoutBuckets || c.width == len(turnoutWidths)-1 {
			for int64(len(c.counts)) <= i {
				c.counts = append(c.counts, 0)
			}
			c.counts[max(i, 0)]++
			return
		}
		c.widen()
	}
}

// widen merges the buckets into buckets of the next width.
func (c *turnoutCounter) widen() {
	w, next := turnoutWidths[c.width], turnoutWidths[c.width+1]
	first := c.first * w / next
	var counts []int64
	for i, n := range c.counts {
		j := (c.first+int64(i))*w/next - first
		for int64(len(counts)) <= j {
			counts = append(counts, 0)
		}
		counts[j] += n
	}
	c.width, c.first, c.counts = c.width+1, first, counts
}

// result returns the Turnout, or nil if no ballot was counted.
func (c *turnoutCounter) result() *Turnout {
	if c.counts == nil {
		return nil
	}
	w := turnoutWidths[c.width]
	return &Turnout{Start: time.Unix(c.first*w, 0).UTC(), BucketSeconds: w, Ballots: c.counts}
}

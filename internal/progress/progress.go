// Package progress shows how far a long job has come: on a terminal a
// single line redrawn in place with a bar, the rate and the time left;
// elsewhere a plain line at every tenth of the way (every 30 s when the
// size of the job is unknown).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar reports the progress of one job. It is not safe for concurrent use:
// call it from one goroutine.
type Bar struct {
	w         io.Writer
	label     string
	start     time.Time
	terminal  bool
	nextTenth int           // plain mode: the next tenth to print
	lastLine  time.Duration // plain mode, unknown size: when the last line was printed
}

// New starts a bar writing to w; label names the job ("verifying").
func New(w io.Writer, label string) *Bar {
	return &Bar{w: w, label: label, start: time.Now(), terminal: IsTerminal(w), nextTenth: 1}
}

// IsTerminal reports whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Elapsed returns the time since the bar started.
func (b *Bar) Elapsed() time.Duration { return time.Since(b.start) }

// Show reports that fraction (0 to 1, or negative if unknown) of the job
// is done; detail says what that is, such as "1200 records, 850/s".
func (b *Bar) Show(fraction float64, detail string) {
	elapsed := b.Elapsed()
	left := "?"
	if fraction > 0 && fraction <= 1 {
		left = time.Duration(float64(elapsed) * (1 - fraction) / fraction).Round(time.Second).String()
	}
	if b.terminal {
		const width = 30
		bar, pct := strings.Repeat("?", width), "  ?%"
		if fraction >= 0 {
			n := min(width, int(fraction*width))
			bar = strings.Repeat("█", n) + strings.Repeat("░", width-n)
			pct = fmt.Sprintf("%3.0f%%", 100*min(fraction, 1))
		}
		fmt.Fprintf(b.w, "\r\033[K%s %s %s %s, %s left", b.label, bar, pct, detail, left)
		return
	}
	switch {
	case fraction >= 0 && int(fraction*10) >= b.nextTenth:
		b.nextTenth = int(fraction*10) + 1
		fmt.Fprintf(b.w, "%s: %3.0f%%  %s, %s left\n", b.label, 100*fraction, detail, left)
	case fraction < 0 && elapsed-b.lastLine >= 30*time.Second:
		b.lastLine = elapsed
		fmt.Fprintf(b.w, "%s: %s\n", b.label, detail)
	}
}

// Done ends the bar with a summary line.
func (b *Bar) Done(summary string) {
	if b.terminal {
		fmt.Fprint(b.w, "\r\033[K")
	}
	fmt.Fprintf(b.w, "%s: %s\n", b.label, summary)
}

// Rate returns n per second since the bar started.
func (b *Bar) Rate(n int64) float64 { return float64(n) / b.Elapsed().Seconds() }

// Package progress shows how far a long job has come: on a terminal a
// single line redrawn in place with the rate and the time left, elsewhere a
// plain line every tenth of the way.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar reports the progress of a job of a known number of steps. It is not
// safe for concurrent use: call it from one goroutine.
type Bar struct {
	w        io.Writer
	label    string
	total    int64
	start    time.Time
	terminal bool
	shown    int64 // plain mode: the last tenth printed
}

// New starts a bar for total steps, writing to w.
func New(w io.Writer, label string, total int64) *Bar {
	return &Bar{w: w, label: label, total: total, start: time.Now(), terminal: IsTerminal(w), shown: -1}
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

// Update shows that done steps are complete.
func (b *Bar) Update(done int64) {
	if b.total <= 0 {
		return
	}
	rate := float64(done) / b.Elapsed().Seconds()
	if b.terminal {
		const width = 30
		filled := int(width * done / b.total)
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(b.total-done)/rate) * time.Second / time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(b.w, "\r%s [%s%s] %d/%d %.0f/s ETA %s  ", b.label,
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, b.total, rate, eta)
		return
	}
	if tenth := 10 * done / b.total; tenth > b.shown {
		b.shown = tenth
		fmt.Fprintf(b.w, "%s: %d/%d (%d%%, %.0f/s)\n", b.label, done, b.total, 100*done/b.total, rate)
	}
}

// Finish shows the final count and ends the line.
func (b *Bar) Finish(done int64) {
	b.Update(done)
	if b.terminal {
		fmt.Fprintln(b.w)
	}
}

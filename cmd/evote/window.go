package main

import (
	"fmt"
	"time"

	"github.com/evote/evote/ballot"
)

// The board admits a ballot only if the board's time at append lies within
// the definition's opens and closes, whatever the phase
// (docs/spec/election.md §4, ballot). These helpers tell the official
// before that schedule surprises anyone.

// timeNow is the clock election init checks the schedule against; tests
// replace it.
var timeNow = time.Now

// windowLayout is how messages show the schedule's times: the definition's
// own form (docs/spec/ballot.md §1.1).
const windowLayout = "2006-01-02T15:04:05Z"

// checkSchedule refuses a definition whose voting window closed before
// now: posted, it would make an election in which the board refuses every
// ballot.
func checkSchedule(m *ballot.Manifest, now time.Time) error {
	if !now.After(m.Closes) {
		return nil
	}
	return withHint(fmt.Errorf("the definition's voting window closed at %s, %s ago (it is %s now): the board would refuse every ballot",
		m.Closes.UTC().Format(windowLayout), roughly(now.Sub(m.Closes)), now.UTC().Format(windowLayout)),
		"set \"opens\" and \"closes\" to when voting will really run (UTC, e.g. %q), and post the definition again",
		now.UTC().Add(24*time.Hour).Truncate(time.Hour).Format(windowLayout))
}

// scheduleNote says what voters meet from board time t, the time the
// board gave the opening record: ballots refused until the window opens, or
// for good if it has closed (warn is then set), or accepted until it closes.
func scheduleNote(m *ballot.Manifest, t time.Time) (note string, warn bool) {
	opens, closes := m.Opens.UTC().Format(windowLayout), m.Closes.UTC().Format(windowLayout)
	switch {
	case t.Before(m.Opens):
		return fmt.Sprintf("the voting window has not started: it opens at %s, in %s (the board's time is %s); "+
			"until then the board refuses every ballot, and voters are told \"voting opens at %s\"",
			opens, roughly(m.Opens.Sub(t)), t.UTC().Format(windowLayout), opens), true
	case t.After(m.Closes):
		return fmt.Sprintf("the voting window is over: it closed at %s, %s ago (the board's time is %s); "+
			"the board refuses every ballot, and voters are told \"voting closed at %s\"; close voting with `evote election close`",
			closes, roughly(t.Sub(m.Closes)), t.UTC().Format(windowLayout), closes), true
	}
	return fmt.Sprintf("the board accepts ballots until %s (in %s), when the definition's voting window closes", closes, roughly(m.Closes.Sub(t))), false
}

// roughly renders d for people: in days from two days up, else in hours
// and minutes, or in seconds below a minute.
func roughly(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
	case d < time.Minute:
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}

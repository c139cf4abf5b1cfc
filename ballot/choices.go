package ballot

import (
	"errors"
	"fmt"

	"github.com/evote/evote/tally/ranked"
)

// Choices are a voter's plaintext selections: Choices[c][o] is the count
// given to option o of contest c, in manifest order (docs/spec/ballot.md §3).
type Choices [][]uint64

// Sentinel errors of choice validation, wrapped by *ChoiceError.
var (
	// ErrShape means a ballot or choices do not have one entry per contest
	// and per option of the manifest.
	ErrShape = errors.New("shape does not match the manifest")
	// ErrOptionMax means an option got more than option_max votes.
	ErrOptionMax = errors.New("option count over option_max")
	// ErrTooFew means a contest's total is under min_selections.
	ErrTooFew = errors.New("too few selections")
	// ErrTooMany means a contest's total is over max_selections.
	ErrTooMany = errors.New("too many selections")
	// ErrRanking means the ranks given in a ranked contest are not a
	// ranking (docs/spec/ranked.md §2): two candidates of one rank, or a
	// gap.
	ErrRanking = errors.New("not a valid ranking")
	// ErrWriteIn means a write-in is invalid: a text for a contest
	// without a write-in or whose slot is not selected, a selected slot
	// without a text, a text that is not valid text of at most max_bytes
	// bytes; on an encrypted ballot, write-in ciphertexts missing, extra,
	// of the wrong number, or whose proofs fail (docs/spec/ballot.md §4.4).
	ErrWriteIn = errors.New("invalid write-in")
)

// WriteIns are a voter's write-in texts: WriteIns[c] is the text written
// in contest c, in manifest order, "" where the voter writes nothing in
// (docs/spec/ranked.md §8).
type WriteIns []string

// ValidateWriteIns checks the write-ins w of a voter whose choices are c
// (valid for ValidateChoices): w is nil, or has one text per contest; a
// text is written only in a contest of the ballot with a write-in whose
// slot the voter selects, and such a contest has one; each text is text
// (CheckText) of at most the contest's max_bytes bytes. It returns a
// *ChoiceError wrapping ErrWriteIn for the first violation.
func ValidateWriteIns(m *Manifest, c Choices, w WriteIns) error {
	if w != nil && len(w) != len(m.Contests) {
		return &ChoiceError{Contest: -1, Option: -1, Err: ErrWriteIn,
			Detail: fmt.Sprintf("%d write-ins, the manifest has %d contests", len(w), len(m.Contests))}
	}
	for i, mc := range m.Contests {
		text := ""
		if w != nil {
			text = w[i]
		}
		wi := mc.WriteIn
		switch {
		case wi == nil && text != "":
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrWriteIn, Detail: "the contest has no write-in"}
		case wi == nil || len(c[i]) == 0:
			if text != "" {
				return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrWriteIn, Detail: "the contest is not on the ballot"}
			}
			continue
		}
		selected := c[i][wi.Option] == 1
		o := &mc.Options[wi.Option]
		switch {
		case selected && text == "":
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: wi.Option, OptionID: o.ID, Err: ErrWriteIn, Detail: "the write-in is selected but no name is written"}
		case !selected && text != "":
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: wi.Option, OptionID: o.ID, Err: ErrWriteIn, Detail: fmt.Sprintf("a name (%q) is written but the write-in is not selected", text)}
		case text != "":
			if err := CheckText(text, wi.MaxBytes); err != nil {
				return &ChoiceError{Contest: i, ContestID: mc.ID, Option: wi.Option, OptionID: o.ID, Err: ErrWriteIn, Detail: "the name " + err.Error()}
			}
		}
	}
	return nil
}

// ChoiceError names the contest (and option, if any) whose choice is
// invalid. It wraps one of ErrShape, ErrOptionMax, ErrTooFew, ErrTooMany,
// ErrRanking.
type ChoiceError struct {
	Contest   int    // index in the manifest, or -1 for the whole ballot
	ContestID string // empty if Contest is -1
	Option    int    // index in the contest, or -1 for the whole contest
	OptionID  string // empty if Option is -1
	Err       error
	Detail    string
	// Cause is the error behind Err, if any: for ErrRanking, the
	// *ranked.RankError naming the rank at fault.
	Cause error
}

// Error names the contest (and option) and what is wrong.
func (e *ChoiceError) Error() string {
	return where(e.Contest, e.ContestID, e.Option, e.OptionID) + e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the sentinel, and the Cause if there is one.
func (e *ChoiceError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// wholeContest, as where's option, names a contest as a whole (not its sum).
const wholeContest = -2

// where formats a position in a ballot for error messages.
func where(contest int, contestID string, option int, optionID string) string {
	switch {
	case contest < 0:
		return "ballot: "
	case option == sumOption:
		return fmt.Sprintf("contest %d (%q) sum: ", contest, contestID)
	case option < 0:
		return fmt.Sprintf("contest %d (%q): ", contest, contestID)
	default:
		return fmt.Sprintf("contest %d (%q) option %d (%q): ", contest, contestID, option, optionID)
	}
}

// ValidateChoices checks that c has an entry per contest of m, and for
// every contest on the ballot (every contest with a non-empty entry: the
// ballot style, §1.6, says which must be) one count per option, each count
// at most option_max and the contest's total within [min_selections,
// max_selections]; in a ranked contest, the counts are ranks and must
// form a ranking (docs/spec/ranked.md §2). It returns a *ChoiceError for
// the first violation.
func ValidateChoices(m *Manifest, c Choices) error {
	if len(c) != len(m.Contests) {
		return &ChoiceError{Contest: -1, Option: -1, Err: ErrShape,
			Detail: fmt.Sprintf("%d contests, the manifest has %d", len(c), len(m.Contests))}
	}
	for i, mc := range m.Contests {
		if len(c[i]) == 0 {
			continue // not on this ballot
		}
		if len(c[i]) != len(mc.Options) {
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrShape,
				Detail: fmt.Sprintf("%d options, the manifest has %d", len(c[i]), len(mc.Options))}
		}
		var sum uint64
		for k, v := range c[i] {
			if v > uint64(mc.OptionMax) {
				return &ChoiceError{Contest: i, ContestID: mc.ID, Option: k, OptionID: mc.Options[k].ID, Err: ErrOptionMax,
					Detail: fmt.Sprintf("%d votes, option_max is %d", v, mc.OptionMax)}
			}
			sum += v
		}
		if mc.Ranked() {
			if err := checkRanking(c[i], mc.OptionMax); err != nil {
				return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrRanking, Detail: err.Error(), Cause: err}
			}
			continue
		}
		if sum < uint64(mc.MinSelections) {
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrTooFew,
				Detail: fmt.Sprintf("%d selected, min_selections is %d", sum, mc.MinSelections)}
		}
		if sum > uint64(mc.MaxSelections) {
			return &ChoiceError{Contest: i, ContestID: mc.ID, Option: -1, Err: ErrTooMany,
				Detail: fmt.Sprintf("%d selected, max_selections is %d", sum, mc.MaxSelections)}
		}
	}
	return nil
}

// NewChoices returns all-zero choices shaped like m.
func NewChoices(m *Manifest) Choices {
	c := make(Choices, len(m.Contests))
	for i, mc := range m.Contests {
		c[i] = make([]uint64, len(mc.Options))
	}
	return c
}

// checkRanking reports why ranks, each at most maxRank, are not a ranking
// (docs/spec/ranked.md §2): the rule of ranked.FromRanks, which discards
// such a ballot after decryption, so that the client never makes one.
func checkRanking(ranks []uint64, maxRank int) error {
	r := make([]int, len(ranks))
	for k, v := range ranks {
		r[k] = int(v) // at most option_max, checked by the caller
	}
	_, err := ranked.FromRanks(r, maxRank)
	return err
}

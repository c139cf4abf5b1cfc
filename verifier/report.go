package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/evote/evote/election"
)

// ReportVersion is the first field of every JSON report (docs/spec/verifier.md §3).
const ReportVersion = "evote/v1/verify-report"

// StepID names a verification step (docs/spec/verifier.md §2).
type StepID string

// The steps, in the order they are reported.
const (
	StepChain       StepID = "chain"       // 1. chain, indexes, signatures and Merkle tree
	StepCheckpoints StepID = "checkpoints" // 2. signed checkpoints
	StepDefinition  StepID = "definition"  // 3. election definition and base hash
	StepRoll        StepID = "roll"        // 4. voter roll
	StepCeremony    StepID = "ceremony"    // 5. key ceremony
	StepBallots     StepID = "ballots"     // 6. ballots
	StepChallenges  StepID = "challenges"  // 7. challenged ballots
	StepSums        StepID = "sums"        // 8. encrypted sums
	StepPartials    StepID = "partials"    // 9. partial decryptions
	StepResult      StepID = "result"      // 10. combination and final counts
	StepMix         StepID = "mixnet"      // 11. mixes, decryptions and counts of the ranked contests and write-ins
)

// Status is the outcome of a step.
type Status string

// Step outcomes. A step is skipped when the record does not reach it (no
// checkpoint given, voting not closed, no result yet); that is not a failure.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Skipped Status = "skipped"
)

var stepInfo = []struct {
	id    StepID
	title string
	spec  string
}{
	{StepChain, "chain, indexes, signatures and Merkle tree", "docs/spec/bulletin.md §1–§3, §7"},
	{StepCheckpoints, "signed checkpoints", "docs/spec/bulletin.md §5"},
	{StepDefinition, "election definition and base hash", "docs/spec/ballot.md §1; docs/spec/election.md"},
	{StepRoll, "voter roll: registrar, entries, duplicates, closing", "docs/spec/ballot.md §6; docs/spec/election.md §4"},
	{StepCeremony, "key ceremony", "docs/spec/ceremony.md §5, §6; docs/spec/crypto-group.md §4"},
	{StepBallots, "ballots: proofs, eligibility, duplicates, re-voting", "docs/spec/ballot.md §4.4; docs/spec/election.md"},
	{StepChallenges, "challenged ballots", "docs/spec/ballot.md §5.2"},
	{StepSums, "encrypted sums", "docs/spec/tally.md §2"},
	{StepPartials, "partial decryptions", "docs/spec/tally.md §3, §7"},
	{StepResult, "combination and final counts", "docs/spec/tally.md §5–§7"},
	{StepMix, "mix-net: mixes, decryptions and counts of the ranked contests and write-ins", "docs/spec/election.md §2.5–§2.8, §4; docs/spec/crypto-proofs.md §9; docs/spec/ranked.md"},
}

// Report is the outcome of Verify. Its JSON encoding is specified in
// docs/spec/verifier.md §3; WriteText renders it for people.
type Report struct {
	// Version is ReportVersion.
	Version string `json:"version"`
	// Source names the file or board verified.
	Source string `json:"source"`
	// OK is true only if every step passed or was skipped and no failure
	// was found.
	OK bool `json:"ok"`
	// Records is the number of records that passed step 1 (the valid
	// prefix, if the chain breaks).
	Records int64 `json:"records"`
	// TreeHash is the base64 Merkle tree root of those records.
	TreeHash string `json:"tree_hash"`
	// Election is the replayed state at the end of the record.
	Election *election.Summary `json:"election,omitempty"`
	// Checkpoints are the signed checkpoints that verified (step 2), in
	// the order checked; the failures name those that did not.
	Checkpoints []CheckpointResult `json:"checkpoints,omitempty"`
	// Witnesses names the witnesses of the election's definition, and
	// WitnessQuorum how many of them must cosign every checkpoint.
	Witnesses     []string `json:"witnesses,omitempty"`
	WitnessQuorum int      `json:"witness_quorum,omitempty"`
	// Operators names the operators of the election's replicated board,
	// and OperatorQuorum how many of them (more than two thirds) must
	// cosign every checkpoint.
	Operators      []string `json:"operators,omitempty"`
	OperatorQuorum int      `json:"operator_quorum,omitempty"`
	// Turnout counts the ballots admitted over time, once any was.
	Turnout *Turnout `json:"turnout,omitempty"`
	// Steps are the eleven steps, in order.
	Steps []*Step `json:"steps"`
	// Result is the posted result by contest and option, once verified.
	Result []ContestResult `json:"result,omitempty"`
	// Problems counts every failure found, repeats included.
	Problems int `json:"problems"`
	// Failures lists the failures, by record index; identical failures of
	// several records are folded into one (see Failure.Repeats).
	Failures []*Failure `json:"failures"`
	// Omitted counts failures beyond Options.MaxFailures, not listed.
	Omitted int `json:"omitted,omitempty"`
	// Elapsed is the wall-clock time of the verification, in seconds.
	Elapsed float64 `json:"elapsed_seconds"`
}

// Step is the outcome of one step with what it counted.
type Step struct {
	// N is the step's number, 1 to 11.
	N int `json:"n"`
	// ID names the step.
	ID StepID `json:"id"`
	// Title describes the step.
	Title string `json:"title"`
	// Spec points to the specification sections the step checks.
	Spec string `json:"spec"`
	// Status is pass, fail or skipped.
	Status Status `json:"status"`
	// Counts are what the step checked, in a fixed order.
	Counts Counts `json:"counts"`
	// Failures is the number of problems found by the step.
	Failures int `json:"failures"`
	// Note explains a skipped step or adds detail.
	Note string `json:"note,omitempty"`
}

// Failure is one problem: the record at fault, its type, the step that
// found it and why.
type Failure struct {
	// Index is the record's index, or −1 if the failure is not about one
	// record (a checkpoint file, an unreadable source).
	Index int64 `json:"index"`
	// Type is the record's type, if known.
	Type string `json:"type,omitempty"`
	// Step is the step that found the failure.
	Step StepID `json:"step"`
	// Code is the rejection class (docs/spec/bulletin.md §8) for failures
	// of the election rules: "bad-proof", "duplicate", "wrong-phase", …
	Code string `json:"code,omitempty"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
	// Spec is the specification of what failed.
	Spec string `json:"spec,omitempty"`
	// Repeats counts further records that failed in exactly the same way.
	Repeats int `json:"repeats,omitempty"`
	// Also lists the first of those further records.
	Also []int64 `json:"also,omitempty"`
}

// Indexes returns the indexes of the records the failure is about.
func (f *Failure) Indexes() []int64 {
	return append([]int64{f.Index}, f.Also...)
}

// String renders f on one line: "record I (TYPE), step N ID: CODE: REASON".
func (f *Failure) String() string {
	var b strings.Builder
	if f.Index >= 0 {
		fmt.Fprintf(&b, "record %d", f.Index)
		if f.Type != "" {
			fmt.Fprintf(&b, " (%s)", f.Type)
		}
	} else {
		b.WriteString("record")
	}
	fmt.Fprintf(&b, ", step %d %s: ", stepNumber(f.Step), f.Step)
	if f.Code != "" {
		fmt.Fprintf(&b, "%s: ", f.Code)
	}
	b.WriteString(f.Reason)
	if f.Repeats > 0 {
		fmt.Fprintf(&b, " (and %d more records the same way", f.Repeats)
		if len(f.Also) > 0 {
			b.WriteString(": ")
			for i, x := range f.Also {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprint(&b, x)
			}
			if len(f.Also) < f.Repeats {
				b.WriteString(", …")
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// CheckpointResult is a signed checkpoint that verified.
type CheckpointResult struct {
	// Origin names the log; Size is the number of records it signs, and
	// Hash the base64 root of their tree.
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Hash   string `json:"hash"`
	// Cosigners are the witnesses and operators whose cosignatures
	// verified.
	Cosigners []string `json:"cosigners,omitempty"`
	// Faulty are those of the definition's witnesses and operators named
	// by a cosignature line that does not verify for this checkpoint (a
	// cosignature of another tree, or a forgery); each is also a failure.
	Faulty []string `json:"faulty_cosigners,omitempty"`
}

// ContestResult is the verified count of one contest.
type ContestResult struct {
	// ID and Title are the contest's, from the definition.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Options are the counts, in the definition's order.
	Options []OptionResult `json:"options"`
	// Ballots and Weight are the counted ballots carrying the contest and
	// their voters' total weight, for an election with ballot styles or
	// weights (docs/spec/election.md §2.4); absent otherwise.
	Ballots int64  `json:"ballots,omitempty"`
	Weight  uint64 `json:"weight,omitempty"`
	// WriteIns are the names written in a contest with a write-in, with
	// their counts (docs/spec/ranked.md §8.6), once counted: they add up
	// to the write-in option's count, less the write-ins discarded.
	WriteIns []WriteInResult `json:"write_ins,omitempty"`
	// Method is a ranked contest's method ("irv", "stv", "schulze" or
	// "borda"), absent for other contests. A ranked contest's Options
	// counts are sums of ranks (docs/spec/ranked.md §1), not votes: its
	// result is Outcome.
	Method string `json:"method,omitempty"`
	// Outcome is a ranked contest's verified outcome, once its
	// ranked-result is on the board.
	Outcome *RankedOutcome `json:"outcome,omitempty"`
}

// RankedOutcome is the outcome of a ranked contest, from the ranked-result
// that the rules engine recomputed from the decrypted ballots
// (docs/spec/ranked.md).
type RankedOutcome struct {
	// Method is the contest's method.
	Method string `json:"method"`
	// Ballots is the number of decrypted ballots, and Discarded how many
	// of them are not a valid ranking (ranked.md §2).
	Ballots   int `json:"ballots"`
	Discarded int `json:"discarded"`
	// Seats is the number of seats of an STV contest, else 1.
	Seats int `json:"seats"`
	// Elected are the elected candidates in order of election; empty when
	// no valid ballot ranks anyone and nobody is elected.
	Elected []OptionRef `json:"elected"`
	// Order ranks every candidate, the winner first, for Schulze and
	// Borda.
	Order []OptionRef `json:"order,omitempty"`
	// Rounds are the rounds of an IRV count or the stages of an STV count.
	Rounds []OutcomeRound `json:"rounds,omitempty"`
}

// OptionRef names an option of the definition.
type OptionRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// OutcomeRound is one round of an IRV count or one stage of an STV count.
type OutcomeRound struct {
	// Action says what the stage does: "first", "surplus of TITLE",
	// "exclusion of TITLE" (STV); absent for IRV.
	Action string `json:"action,omitempty"`
	// Counts are each candidate's votes, in the definition's order, as
	// decimals (STV's with five decimals); "" for a candidate an IRV
	// count has eliminated.
	Counts []string `json:"counts"`
	// Exhausted counts the ballots that rank no continuing candidate
	// (IRV), or the non-transferable votes so far (STV).
	Exhausted string `json:"exhausted"`
	// Then says what the round decided: who is elected or eliminated, and
	// how a tie was broken.
	Then string `json:"then,omitempty"`
}

// WriteInResult is a name written in and the number of ballots that wrote
// it, recomputed from the decrypted ballots.
type WriteInResult struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// OptionResult is the verified count of one option.
type OptionResult struct {
	// ID and Title are the option's, from the definition.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Count is the verified total.
	Count uint64 `json:"count"`
}

// Count is one named number of a step, such as "ballots": 1000.
type Count struct {
	// Name says what is counted, as a plural noun ("records").
	Name string
	// Value is the count.
	Value int64
}

// String renders c for people: "2 checkpoints", but "1 checkpoint".
func (c Count) String() string {
	return countText(c.Value, c.Name)
}

// Counts keeps a step's counts in order; in JSON it is an object whose
// keys are in that order.
type Counts []Count

// MarshalJSON encodes c as an object, keys in order.
func (c Counts) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, x := range c {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(x.Name)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = fmt.Appendf(b, ":%d", x.Value)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes an object of integers, keeping the key order.
func (c *Counts) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("verifier: counts: want an object")
	}
	var out Counts
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("verifier: counts: %w", err)
		}
		var v int64
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("verifier: counts: %q: %w", t, err)
		}
		out = append(out, Count{Name: t.(string), Value: v})
	}
	*c = out
	return nil
}

// Get returns the count named name, or 0.
func (c Counts) Get(name string) int64 {
	for _, x := range c {
		if x.Name == name {
			return x.Value
		}
	}
	return 0
}

func (c *Counts) set(name string, v int64) {
	for i := range *c {
		if (*c)[i].Name == name {
			(*c)[i].Value = v
			return
		}
	}
	*c = append(*c, Count{name, v})
}

func stepNumber(id StepID) int {
	for i, s := range stepInfo {
		if s.id == id {
			return i + 1
		}
	}
	return 0
}

// Step returns the step with the given id.
func (r *Report) Step(id StepID) *Step {
	for _, s := range r.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// FailuresAt returns the failures about record index (including folded
// repeats).
func (r *Report) FailuresAt(index int64) []*Failure {
	var out []*Failure
	for _, f := range r.Failures {
		for _, x := range f.Indexes() {
			if x == index {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("verifier: writing the JSON report: %w", err)
	}
	return nil
}

// countText renders a step's count for people: "2 checkpoints", but
// "1 checkpoint". Count names are plural nouns, possibly with a word before
// or after ("range proofs", "ballots summed"); for a count of 1 the plural
// word loses its ending. The JSON report keeps the names as they are.
func countText(n int64, name string) string {
	if n != 1 {
		return fmt.Sprintf("%d %s", n, name)
	}
	words := strings.Fields(name)
	for i := len(words) - 1; i >= 0; i-- {
		if w, ok := singular(words[i]); ok {
			words[i] = w
			break
		}
	}
	return "1 " + strings.Join(words, " ")
}

// singular returns the singular of an English plural noun ending in "s",
// such as "checkpoints", "hashes" or "witnesses", and whether w is one.
func singular(w string) (string, bool) {
	for _, es := range []string{"shes", "ches", "sses", "xes"} {
		if strings.HasSuffix(w, es) {
			return strings.TrimSuffix(w, "es"), true
		}
	}
	if len(w) > 2 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return strings.TrimSuffix(w, "s"), true
	}
	return w, false
}

// maxShown bounds the failures WriteText lists; the JSON report has all.
const maxShown = 50

// WriteText renders the report for people: the steps with ✓ (pass),
// ✗ (fail) or – (skipped) and their counts, the result table, and the
// failures.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "evote verify: %s\n", r.Source)
	fmt.Fprintf(&b, "  %d records, tree hash %s\n", r.Records, r.TreeHash)
	if e := r.Election; e != nil && e.Title != "" {
		fmt.Fprintf(&b, "  election %q, phase %s\n", e.Title, e.Phase)
		fmt.Fprintf(&b, "  manifest hash %s\n", e.ManifestHash)
		if e.BaseHash != "" {
			fmt.Fprintf(&b, "  base hash     %s\n", e.BaseHash)
		}
	}
	b.WriteString("\n")
	for _, s := range r.Steps {
		mark := map[Status]string{Pass: "✓", Fail: "✗", Skipped: "–"}[s.Status]
		fmt.Fprintf(&b, "  %s %d. %s", mark, s.N, s.Title)
		var parts []string
		for _, c := range s.Counts {
			parts = append(parts, c.String())
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
		}
		if s.Failures > 0 {
			fmt.Fprintf(&b, "; %d failed", s.Failures)
		}
		b.WriteString("\n")
		if s.Note != "" {
			fmt.Fprintf(&b, "       %s\n", s.Note)
		}
	}
	if len(r.Result) > 0 {
		b.WriteString("\nResult\n")
		for _, c := range r.Result {
			if c.Ballots > 0 || c.Weight > 0 {
				fmt.Fprintf(&b, "  %s (%d ballots of weight %d)\n", c.Title, c.Ballots, c.Weight)
			} else {
				fmt.Fprintf(&b, "  %s\n", c.Title)
			}
			switch {
			case c.Outcome != nil:
				writeOutcome(&b, c.Outcome, c.Options)
			case c.Method != "":
				fmt.Fprintf(&b, "    ranked (%s), not counted yet: the sums of ranks below are not votes\n", c.Method)
				writeCounts(&b, c.Options)
			default:
				writeCounts(&b, c.Options)
			}
			if len(c.WriteIns) > 0 {
				b.WriteString("    written in:\n")
				width := 0
				for _, w := range c.WriteIns {
					width = max(width, len([]rune(fmt.Sprintf("%q", w.Text))))
				}
				for _, w := range c.WriteIns {
					q := fmt.Sprintf("%q", w.Text)
					fmt.Fprintf(&b, "      %s%s  %d\n", q, strings.Repeat(" ", width-len([]rune(q))), w.Count)
				}
			}
		}
	}
	b.WriteString("\n")
	if r.Problems == 0 {
		fmt.Fprintf(&b, "Everything holds: 0 failures (%.1fs).\n", r.Elapsed)
	} else {
		fmt.Fprintf(&b, "Failures (%d):\n", r.Problems)
		for i, f := range r.Failures {
			if i == maxShown {
				fmt.Fprintf(&b, "  … %d more in the JSON report (--json)\n", len(r.Failures)-maxShown)
				break
			}
			fmt.Fprintf(&b, "  ✗ %s\n", f)
		}
		if r.Omitted > 0 {
			fmt.Fprintf(&b, "  … and %d further failures not listed\n", r.Omitted)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCounts writes one line per option: its title and count, aligned.
func writeCounts(b *strings.Builder, opts []OptionResult) {
	width := 0
	for _, o := range opts {
		width = max(width, len([]rune(o.Title)))
	}
	for _, o := range opts {
		pad := strings.Repeat(" ", width-len([]rune(o.Title)))
		fmt.Fprintf(b, "    %s%s  %d\n", o.Title, pad, o.Count)
	}
}

// writeOutcome writes a ranked contest's outcome: its method and ballots,
// who is elected, the Schulze or Borda order, and the IRV rounds or STV
// stages, one line each.
func writeOutcome(b *strings.Builder, o *RankedOutcome, opts []OptionResult) {
	fmt.Fprintf(b, "    ranked (%s): %d ballots counted", o.Method, o.Ballots)
	if o.Discarded > 0 {
		fmt.Fprintf(b, ", %d discarded as not a ranking", o.Discarded)
	}
	b.WriteString("\n")
	titles := func(rs []OptionRef, sep string) string {
		s := make([]string, len(rs))
		for i, r := range rs {
			s[i] = r.Title
		}
		return strings.Join(s, sep)
	}
	switch {
	case len(o.Elected) == 0:
		b.WriteString("    nobody elected: no ballot ranks any candidate\n")
	case o.Seats > 1:
		fmt.Fprintf(b, "    elected (%d seats): %s\n", o.Seats, titles(o.Elected, ", "))
	default:
		fmt.Fprintf(b, "    winner: %s\n", titles(o.Elected, ", "))
	}
	if len(o.Order) > 0 {
		fmt.Fprintf(b, "    order: %s\n", titles(o.Order, " > "))
	}
	exhausted := "exhausted"
	if o.Method == "stv" {
		exhausted = "non-transferable"
	}
	for i, r := range o.Rounds {
		var parts []string
		for k, n := range r.Counts {
			if n != "" && k < len(opts) {
				parts = append(parts, opts[k].Title+" "+n)
			}
		}
		label := fmt.Sprintf("round %d", i+1)
		if r.Action != "" {
			label = fmt.Sprintf("stage %d (%s)", i+1, r.Action)
		}
		fmt.Fprintf(b, "    %s: %s; %s %s", label, strings.Join(parts, ", "), exhausted, r.Exhausted)
		if r.Then != "" {
			fmt.Fprintf(b, "; %s", r.Then)
		}
		b.WriteString("\n")
	}
}

// Progress is a snapshot of a running verification, for progress displays.
type Progress struct {
	// Records and Ballots replayed so far.
	Records, Ballots int64
	// Done and Total measure progress in bytes of the export or in
	// records; Total is 0 if unknown.
	Done, Total int64
	// Elapsed is the time since Verify started.
	Elapsed time.Duration
	// Final is set on the last call, when the record has been read.
	Final bool
}

// Fraction returns Done/Total in [0, 1], or −1 if Total is unknown.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return -1
	}
	return min(1, float64(p.Done)/float64(p.Total))
}

// Rate returns the records replayed per second.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

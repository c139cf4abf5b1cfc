package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/tally"
)

// The mix-net contests' steps after the close (docs/spec/election.md
// §2.5–§2.8): the trustees mix the ballots of each ranked contest and
// each contest with a write-in in turn (trustee mix), then decrypt the
// last mix (trustee decrypt, after the partial decryption of the sums),
// and the official posts each contest's count (tally).

// mixedContests returns the manifest indexes of m's mix-net contests:
// ranked, or with a write-in.
func mixedContests(m *ballot.Manifest) []int {
	var out []int
	for i, c := range m.Contests {
		if c.Mixed() {
			out = append(out, i)
		}
	}
	return out
}

// trusteeList writes trustee indexes for people: "1, 3", or "none".
func trusteeList(ts []uint32) string {
	if len(ts) == 0 {
		return "none"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = fmt.Sprint(t)
	}
	return strings.Join(s, ", ")
}

// mixDecrypters returns the trustees whose decryptions of contest's mixed
// ballots are on the board, in board order.
func mixDecrypters(st *election.State, contest int) []uint32 {
	var out []uint32
	for _, p := range st.MixPartials(contest) {
		out = append(out, p.Trustee)
	}
	return out
}

// mixMissing says, for each mix-net contest of st's election that is not
// counted yet, what its count still waits for: mixes, then decryptions of
// the last mix, with who has posted them. A closed election whose every
// mix-net contest has its threshold of decryptions gives none.
func mixMissing(st *election.State) []string {
	m := st.Manifest()
	var out []string
	for _, i := range mixedContests(m) {
		if st.MixCounted(i) {
			continue
		}
		id, t := m.Contests[i].ID, m.Threshold
		mixes, dec := st.Mixes(i), mixDecrypters(st, i)
		switch {
		case len(mixes) < t && len(dec) == 0:
			out = append(out, fmt.Sprintf("contest %q: %d of the %d mixes it needs (by trustees: %s; each trustee runs `evote trustee mix`), then %d decryptions of its mixed ballots",
				id, len(mixes), t, trusteeList(mixes), t))
		case len(dec) < t:
			out = append(out, fmt.Sprintf("contest %q: %d of the %d decryptions of its mixed ballots it needs (by trustees: %s; each trustee runs `evote trustee decrypt`)",
				id, len(dec), t, trusteeList(dec)))
		}
	}
	return out
}

// tallyMissing says what the official's tally still waits for: the
// partial decryptions of the sums, unless the result is posted, and each
// mix-net contest's mixes and decryptions (mixMissing).
func tallyMissing(st *election.State) []string {
	m := st.Manifest()
	if m == nil {
		return []string{"an election definition on the board"}
	}
	if st.Phase() < election.Closed {
		return []string{fmt.Sprintf("voting to close (the election is %s)", st.Phase())}
	}
	var out []string
	if st.Result() == nil {
		var by []uint32
		for _, p := range st.Partials() {
			by = append(by, p.Trustee)
		}
		if len(by) < m.Threshold {
			out = append(out, fmt.Sprintf("%d of the %d partial decryptions of the sums it needs (by trustees: %s; each trustee runs `evote trustee decrypt`)",
				len(by), m.Threshold, trusteeList(by)))
		}
	}
	return append(out, mixMissing(st)...)
}

// maxMixAttempts bounds how often trustee mix mixes again because another
// trustee's mix of the same contest reached the board first, and how often
// trustee decrypt decrypts again a newer last mix.
const maxMixAttempts = 10

// trusteeMix posts the trustee's mix of every mix-net contest that it has
// not mixed and whose mixing is open (participant.Trustee.Mix), once
// voting has closed. Each mix shuffles the output of the mix before it; if
// another trustee's mix lands first, it mixes again on that one's output.
func trusteeMix(c *cli.Context) error {
	_, ts, err := openKeystore(c)
	if err != nil {
		return err
	}
	cl, err := boardClient(c)
	if err != nil {
		return err
	}
	f := cl.follower()
	for attempt := 1; ; attempt++ {
		st, err := waitFor(c.Context, c, f, "voting to close: trustees mix the ranked and write-in contests' ballots after the close", func(s *election.State) bool {
			return s.Phase() >= election.Closed || ts.Share != nil && otherElection(s, ts.Share) != nil
		})
		if err != nil {
			return err
		}
		if ts.Share != nil {
			if err := otherElection(st, ts.Share); err != nil {
				return err
			}
		}
		index, ok := st.TrusteeIndex(ts.Keys.Public().SignKey)
		if !ok {
			return withHint(participant.ErrNotTrustee, "only the election's trustees mix; check --keystore and that the board runs the right election; nothing was mixed or posted")
		}
		pending, err := mixPending(c, st, index)
		if err != nil || !pending {
			return err
		}
		t := &participant.Trustee{State: ts, Post: boardPost(cl)}
		recs, err := t.Mix(c.Context, st)
		if err := eachPayload(recs, func(rec *bulletin.Record, mr *election.MixRecord) {
			fmt.Fprintf(out(c), "trustee %d: posted mix %d of contest %q, with its proof of shuffle, as record %d\n", index, mr.Mix, mr.Contest, rec.Index)
		}); err != nil {
			return err
		}
		if raced(c, err, election.CodeWrongOrder, attempt, "another trustee's mix reached the board first", "mixing its output") {
			continue
		}
		if err != nil {
			return withHint(err, "the mixes listed above, if any, were posted; run `evote trustee mix` again to mix the rest")
		}
		fmt.Fprintf(out(c), "next: once %d trustees have mixed, each trustee runs `evote trustee decrypt`\n", st.Manifest().Threshold)
		return nil
	}
}

// eachPayload calls f with each record of recs, records that this
// command posted, and its payload decoded.
func eachPayload[P any](recs []*bulletin.Record, f func(*bulletin.Record, *P)) error {
	for _, rec := range recs {
		p := new(P)
		if err := json.Unmarshal(rec.Payload, p); err != nil {
			return fmt.Errorf("record %d: %w", rec.Index, err)
		}
		f(rec, p)
	}
	return nil
}

// raced reports whether err is the board's refusal, with code, of a
// record that another trustee's record made out of date (what happened),
// and attempt leaves room to try again (maxMixAttempts); if so it says so
// on standard error, with the board's reason and what it does next.
func raced(c *cli.Context, err error, code string, attempt int, what, next string) bool {
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) || rej.Code != code || attempt >= maxMixAttempts {
		return false
	}
	fmt.Fprintf(c.App.ErrWriter, "%s (%s); %s\n", what, rej.Reason, next)
	return true
}

// mixPending says, for each mix-net contest, whether trustee index has a
// mix to post: not if it mixed the contest already, nor if the contest's
// mixed ballots are being decrypted. It reports whether any contest has.
func mixPending(c *cli.Context, st *election.State, index uint32) (bool, error) {
	m := st.Manifest()
	contests := mixedContests(m)
	if len(contests) == 0 {
		fmt.Fprintln(out(c), "this election has no ranked contest and no write-in: there is nothing to mix")
		return false, nil
	}
	pending := false
	for _, i := range contests {
		id, mixes := m.Contests[i].ID, st.Mixes(i)
		switch {
		case slices.Contains(mixes, index):
			fmt.Fprintf(out(c), "trustee %d: has mixed contest %q already (mix %d of the %d on the board); nothing to do for it\n",
				index, id, slices.Index(mixes, index)+1, len(mixes))
		case !participant.MixOpen(st, i):
			fmt.Fprintf(out(c), "contest %q: its mixing is over, after %d mixes (by trustees %s): its mixed ballots are being decrypted; nothing to do for it\n",
				id, len(mixes), trusteeList(mixes))
		default:
			if _, err := st.MixInput(i); err != nil {
				return false, withHint(fmt.Errorf("contest %q: %w", id, err), "nothing was mixed or posted")
			}
			pending = true
		}
	}
	return pending, nil
}

// decryptMixes posts, after the partial decryption of the sums, the
// trustee's decryption of every mix-net contest's last mix
// (participant.Trustee.DecryptMixes), once each has its threshold of
// mixes; with --wait it waits for them.
func decryptMixes(c *cli.Context, cl *boardConn, st *election.State, t *participant.Trustee) error {
	m, index := st.Manifest(), t.State.Share.Index()
	if len(mixedContests(m)) == 0 {
		return nil
	}
	mixed := func(s *election.State) bool {
		for _, i := range mixedContests(m) {
			if participant.MixOpen(s, i) && len(s.Mixes(i)) < m.Threshold {
				return false
			}
		}
		return true
	}
	var lack []string
	for _, i := range mixedContests(m) {
		if n := len(st.Mixes(i)); n < m.Threshold && participant.MixOpen(st, i) {
			lack = append(lack, fmt.Sprintf("contest %q has %d of them (by trustees: %s)", m.Contests[i].ID, n, trusteeList(st.Mixes(i))))
		}
	}
	what := fmt.Sprintf("the mix-net contests' mixes (each needs %d, from `evote trustee mix`; %s) before decrypting their ballots", m.Threshold, strings.Join(lack, "; "))
	f := cl.follower()
	posted := 0
	for attempt := 1; ; attempt++ {
		st, err := waitFor(c.Context, c, f, what, mixed)
		if err != nil {
			return err
		}
		recs, err := t.DecryptMixes(c.Context, st)
		if err := eachPayload(recs, func(rec *bulletin.Record, d *election.MixDecryptionRecord) {
			fmt.Fprintf(out(c), "trustee %d: posted its decryption of contest %q's ballots, as mixed %d times, with proofs, as record %d\n", index, d.Contest, d.Mixes, rec.Index)
		}); err != nil {
			return err
		}
		posted += len(recs)
		if raced(c, err, election.CodeStale, attempt, "a mix reached the board meanwhile", "decrypting the newer last mix") {
			continue
		}
		if err != nil {
			return withHint(err, "the decryptions listed above, if any, were posted; run `evote trustee decrypt` again for the rest")
		}
		if posted == 0 {
			fmt.Fprintf(out(c), "trustee %d: every mix-net contest's mixed ballots are decrypted by it or counted already; nothing to do\n", index)
		}
		return nil
	}
}

// postMixResults posts the count of every mix-net contest of st's
// election that is not counted yet (participant.ComputeRankedResult for a
// ranked contest, ComputeWriteInResult for a write-in), and returns the
// records posted.
func postMixResults(c *cli.Context, cl *boardConn, key election.Signer, st *election.State) ([]*bulletin.Record, error) {
	var recs []*bulletin.Record
	for _, i := range mixedContests(st.Manifest()) {
		if st.MixCounted(i) {
			continue
		}
		var (
			typ, what, contest string
			payload            any
			trustees           []uint32
		)
		if st.Manifest().Contests[i].Ranked() {
			r, err := participant.ComputeRankedResult(st, i)
			if err != nil {
				return recs, err
			}
			typ, what, contest, payload, trustees = election.TypeRankedResult, "ranked contest", r.Contest, r, r.Ranks.Trustees
		} else {
			r, err := participant.ComputeWriteInResult(st, i)
			if err != nil {
				return recs, err
			}
			typ, what, contest, payload, trustees = election.TypeWriteInResult, "write-ins of contest", r.Contest, r, r.Trustees
		}
		rec, _, err := post(c.Context, cl, key, typ, payload)
		if err != nil {
			return recs, err
		}
		fmt.Fprintf(out(c), "posted the count of the %s %q as record %d (trustees %s decrypted its mixed ballots)\n", what, contest, rec.Index, trusteeList(trustees))
		recs = append(recs, rec)
	}
	return recs, nil
}

// printMixProgress writes, for election status, each mix-net contest's
// mixes, decryptions and count, once voting has closed.
func printMixProgress(w io.Writer, st *election.State) {
	m := st.Manifest()
	if m == nil || st.Phase() < election.Closed {
		return
	}
	for _, i := range mixedContests(m) {
		mixes, dec := st.Mixes(i), mixDecrypters(st, i)
		counted, kind := "not yet", "write-in"
		if st.MixCounted(i) {
			counted = "yes"
		}
		if m.Contests[i].Ranked() {
			kind = m.Contests[i].Method
		}
		fmt.Fprintf(w, "mix-net contest %s (%s)\t%d mixes posted (by trustees: %s), %d needed; %d decryptions posted (by trustees: %s), %d needed; counted: %s\n",
			m.Contests[i].ID, kind, len(mixes), trusteeList(mixes), m.Threshold, len(dec), trusteeList(dec), m.Threshold, counted)
	}
}

// methodNames name the ranked methods for people.
var methodNames = map[string]string{
	ballot.MethodIRV:     "instant-runoff",
	ballot.MethodSTV:     "single transferable vote (Scottish STV)",
	ballot.MethodSchulze: "the Schulze method",
	ballot.MethodBorda:   "the Borda count",
}

// printMixResults prints the count of every counted mix-net contest: a
// ranked contest's winners and, for IRV and STV, its rounds as a table; a
// write-in's names with their votes.
func printMixResults(c *cli.Context, st *election.State) error {
	m := st.Manifest()
	for _, i := range mixedContests(m) {
		if r := st.WriteInResult(i); r != nil {
			var wc election.WriteInCount
			if err := json.Unmarshal(r.Count, &wc); err != nil {
				return fmt.Errorf("the write-ins of contest %q: %w", r.Contest, err)
			}
			writeWriteIns(out(c), &m.Contests[i], &wc)
			continue
		}
		r := st.RankedResult(i)
		if r == nil {
			continue
		}
		var rc election.RankedCount
		if err := json.Unmarshal(r.Count, &rc); err != nil {
			return fmt.Errorf("the count of contest %q: %w", r.Contest, err)
		}
		if err := writeRankedCount(out(c), &m.Contests[i], st.Mixes(i), r.Ranks, &rc); err != nil {
			return err
		}
	}
	return nil
}

// writeWriteIns writes the names written in contest mc, each with its
// votes, and the rows discarded.
func writeWriteIns(w io.Writer, mc *ballot.Contest, wc *election.WriteInCount) {
	fmt.Fprintf(w, "\nwrite-ins of contest %s (%s): %d ballots chose %q, their names decrypted after the mix:\n", mc.ID, mc.Title, wc.Written, wc.Option)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\tvotes")
	for _, t := range wc.Texts {
		fmt.Fprintf(tw, "  %q\t%d\n", t.Text, t.Count)
	}
	tw.Flush()
	for _, d := range wc.Discarded {
		fmt.Fprintf(w, "  discarded: the mixed ballot at %d (%s)\n", d.Index, d.Reason)
	}
}

// writeRankedCount writes one ranked contest's count: a heading, the
// winners, and the rounds (IRV) or stages (STV) as a table, the Schulze
// order or the Borda scores; or that nobody is elected, if no ballot
// ranks anyone.
func writeRankedCount(w io.Writer, mc *ballot.Contest, mixers []uint32, ranks *tally.Result, rc *election.RankedCount) error {
	name := func(k int) string {
		if k < 0 || k >= len(mc.Options) {
			return fmt.Sprintf("candidate %d", k)
		}
		return mc.Options[k].Title
	}
	names := func(ks []int) string {
		s := make([]string, len(ks))
		for i, k := range ks {
			s[i] = name(k)
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(w, "\nranked contest %q (%s), counted by %s: %d ballots, mixed by trustees %s, decrypted by trustees %s",
		mc.ID, mc.Title, methodNames[rc.Method], rc.Ballots, trusteeList(mixers), trusteeList(ranks.Trustees))
	if len(rc.Discarded) > 0 {
		fmt.Fprintf(w, "; %d discarded as not a ranking", len(rc.Discarded))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := func(first, last []string) {
		cols := slices.Clone(first)
		for k := range mc.Options {
			cols = append(cols, name(k))
		}
		fmt.Fprintln(tw, strings.Join(append(cols, last...), "\t"))
	}
	switch {
	case rc.IRV != nil:
		fmt.Fprintf(w, "winner: %s\n", name(rc.IRV.Winner))
		header([]string{"round"}, []string{"exhausted", "then"})
		out := map[int]bool{}
		for n, rd := range rc.IRV.Rounds {
			row := []string{fmt.Sprint(n + 1)}
			for k, v := range rd.Counts {
				if out[k] {
					row = append(row, "—")
				} else {
					row = append(row, fmt.Sprint(v))
				}
			}
			fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprint(rd.Exhausted), rd.Outcome(name)), "\t"))
			if rd.Excluded >= 0 {
				out[rd.Excluded] = true
			}
		}
	case rc.STV != nil:
		fmt.Fprintf(w, "elected (%d seats, quota %s): %s\n", rc.STV.Seats, rc.STV.Quota, names(rc.STV.Elected))
		header([]string{"stage", "action"}, []string{"non-transferable", "then"})
		for n, sg := range rc.STV.Stages {
			row := []string{fmt.Sprint(n + 1), sg.Describe(name)}
			for _, v := range sg.Counts {
				row = append(row, v.String())
			}
			outcome := ""
			if len(sg.Elected) > 0 {
				outcome = "elected: " + names(sg.Elected)
			}
			fmt.Fprintln(tw, strings.Join(append(row, sg.NonTransferable.String(), outcome), "\t"))
		}
	case rc.Schulze != nil:
		fmt.Fprintf(w, "winner: %s\norder: %s\n", name(rc.Schulze.Winner), strings.ReplaceAll(names(rc.Schulze.Order), ", ", " > "))
	case rc.Borda != nil:
		fmt.Fprintf(w, "winner: %s\n", name(rc.Borda.Winner))
		fmt.Fprintln(tw, "candidate\tscore")
		for _, k := range rc.Borda.Order {
			fmt.Fprintf(tw, "%s\t%d\n", name(k), rc.Borda.Scores[k])
		}
	default:
		fmt.Fprintln(w, "no ballot ranks any candidate: nobody is elected")
	}
	return tw.Flush()
}

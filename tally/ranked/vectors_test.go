package ranked

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/internal/specvectors"
)

var _ = flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")

// TestRankedVectors runs docs/spec/vectors/ranked.txt: the counts of
// docs/spec/ranked.md §2–§7 on decrypted rank vectors.
func TestRankedVectors(t *testing.T) {
	specvectors.Generated(t, "ranked.txt", generateRankedVectors(t))
	specvectors.Run(t, "ranked.txt", func(t *testing.T, v *specvectors.Vector) {
		p, err := NewProfile(int(v.Uint("candidates")), int(v.Uint("max-rank")))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range v.Strings("ballot") {
			f := strings.Fields(line)
			count, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatal(err)
			}
			ranks := make([]int, len(f)-1)
			for i, s := range f[1:] {
				if ranks[i], err = strconv.Atoi(s); err != nil {
					t.Fatal(err)
				}
			}
			for range count {
				p.AddRanks(ranks)
			}
		}
		var seed []byte
		if _, ok := v.Lookup("seed"); ok {
			seed = v.Hex("seed")
		}
		out, err := countVector(v.String("op"), p, seed, func() int { return int(v.Uint("seats")) })
		if v.Outcome(rankedReasons(err)...) {
			for _, o := range out {
				v.Expect(o.key, o.value)
			}
		}
	})
}

type output struct{ key, value string }

// countVector runs op on p and returns its outputs in the vectors' form.
func countVector(op string, p *Profile, seed []byte, seats func() int) ([]output, error) {
	out := []output{{"discarded", fmt.Sprint(len(p.Discarded))}}
	switch op {
	case "irv":
		res, err := IRV(p, seed)
		if err != nil {
			return nil, err
		}
		var excluded, counts []string
		for _, r := range res.Rounds {
			if r.Excluded >= 0 {
				excluded = append(excluded, fmt.Sprint(r.Excluded))
			}
			counts = append(counts, joinInts(r.Counts, ","))
		}
		return append(out, output{"winner", fmt.Sprint(res.Winner)}, output{"excluded", orNone(excluded)},
			output{"counts", strings.Join(counts, " ")}), nil
	case "stv":
		res, err := STV(p, seats(), seed)
		if err != nil {
			return nil, err
		}
		var actions, counts []string
		for _, st := range res.Stages {
			a := st.Action
			if st.From >= 0 {
				a += ":" + fmt.Sprint(st.From)
			}
			actions = append(actions, a)
			c := make([]string, len(st.Counts))
			for i, x := range st.Counts {
				c[i] = x.String()
			}
			counts = append(counts, strings.Join(c, ","))
		}
		last := res.Stages[len(res.Stages)-1]
		return append(out, output{"quota", res.Quota.String()}, output{"elected", joinInts(res.Elected, " ")},
			output{"stages", strings.Join(actions, " ")}, output{"counts", strings.Join(counts, " ")},
			output{"non-transferable", last.NonTransferable.String()}, output{"lost", last.LostToRounding.String()}), nil
	case "schulze":
		res, err := Schulze(p, seed)
		if err != nil {
			return nil, err
		}
		rows := make([]string, len(res.Paths))
		for i, r := range res.Paths {
			rows[i] = joinInts(r, ",")
		}
		return append(out, output{"order", joinInts(res.Order, " ")}, output{"paths", strings.Join(rows, " ")}), nil
	case "borda":
		res, err := Borda(p, seed)
		if err != nil {
			return nil, err
		}
		return append(out, output{"order", joinInts(res.Order, " ")}, output{"scores", joinInts(res.Scores, " ")}), nil
	}
	return nil, fmt.Errorf("unknown op %q", op)
}

func rankedReasons(err error) []string {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNoVotes):
		return []string{"no-votes"}
	case strings.Contains(err.Error(), "seats for"):
		return []string{"bad-seats"}
	}
	return []string{"unexpected: " + err.Error()}
}

func joinInts[T int | int64](v []T, sep string) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, sep)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// rankedCase is a vector: groups of identical rank vectors.
type rankedCase struct {
	name, op, comment string
	n, maxRank, seats int
	seed              []byte
	ballots           []rankGroup
}

type rankGroup struct {
	count int
	ranks []int
}

// ranksOf turns groups of rankings into groups of rank vectors.
func ranksOf(n int, groups ...group) []rankGroup {
	out := make([]rankGroup, len(groups))
	for i, g := range groups {
		r := make([]int, n)
		for pos, c := range g.ranking {
			r[c] = pos + 1
		}
		out[i] = rankGroup{g.count, r}
	}
	return out
}

func generateRankedVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Counts of decrypted ranked ballots: docs/spec/ranked.md §2–§7.
Runner: TestRankedVectors (tally/ranked); regenerate with
  go test ./tally/ranked -run TestRankedVectors -update
Inputs: op (irv, stv, schulze or borda), candidates (n), max-rank (k),
seats (stv only), seed (hex, the lot's seed of §3.2; absent: empty),
ballot (repeated: a count, then a rank vector of n ranks, §2: that many
identical ballots). Candidates are numbered from 0.
Outputs: discarded (ballots left out by §2); irv: winner, excluded (in
order, or none), counts (each round's votes per candidate, rounds
separated by spaces); stv: quota, elected (in order of election), stages
(first, surplus:C or exclusion:C), counts (each stage's votes per
candidate, five decimals), non-transferable and lost (after the last
stage); schulze: order, paths (the strongest paths p[a][b], rows
separated by spaces); borda: order, scores.
Rejections: no-votes (no ballot ranks anyone), bad-seats (seats outside
1…n).`)
	tn := func(gs ...group) []rankGroup { return ranksOf(4, gs...) }
	tennessee := tn(
		group{42, Ranking{memphis, nashville, chattanooga, knoxville}},
		group{26, Ranking{nashville, chattanooga, knoxville, memphis}},
		group{15, Ranking{chattanooga, knoxville, nashville, memphis}},
		group{17, Ranking{knoxville, chattanooga, nashville, memphis}},
	)
	const a, b, c, d, e = 0, 1, 2, 3, 4
	schulze := ranksOf(5,
		group{5, Ranking{a, c, b, e, d}}, group{5, Ranking{a, d, e, c, b}}, group{8, Ranking{b, e, d, a, c}},
		group{3, Ranking{c, a, b, e, d}}, group{7, Ranking{c, a, e, b, d}}, group{2, Ranking{c, b, a, d, e}},
		group{7, Ranking{d, c, e, b, a}}, group{8, Ranking{e, b, a, d, c}},
	)
	food := ranksOf(5,
		group{4, Ranking{0}}, group{2, Ranking{1, 0}}, group{8, Ranking{2, 3}},
		group{4, Ranking{2, 4}}, group{1, Ranking{3}}, group{1, Ranking{4}},
	)
	invalid := []rankGroup{{2, []int{1, 1, 0}}, {1, []int{2, 0, 0}}, {1, []int{1, 3, 2}}, {3, []int{1, 2, 0}}, {2, []int{0, 1, 0}}, {1, []int{0, 0, 0}}}
	for _, rc := range []rankedCase{
		{name: "irv-tennessee", op: "irv", comment: "Wikipedia, Instant-runoff voting: Memphis, Nashville, Chattanooga, Knoxville", n: 4, maxRank: 4, ballots: tennessee},
		{name: "borda-tennessee", op: "borda", comment: "Wikipedia, Borda count", n: 4, maxRank: 4, ballots: tennessee},
		{name: "schulze-tennessee", op: "schulze", comment: "Nashville is the Condorcet winner", n: 4, maxRank: 4, ballots: tennessee},
		{name: "schulze-wikipedia", op: "schulze", comment: "Wikipedia, Schulze method, Example: E > A > C > B > D", n: 5, maxRank: 5, ballots: schulze},
		{name: "stv-wikipedia", op: "stv", comment: "Wikipedia, Single transferable vote, Example", n: 5, maxRank: 5, seats: 3, ballots: food},
		{name: "stv-truncation", op: "stv", comment: "rule 48(3): transfer value 3/9 = 0.33333", n: 3, maxRank: 3, seats: 2,
			ballots: ranksOf(3, group{5, Ranking{0, 1}}, group{4, Ranking{0, 2}}, group{3, Ranking{1}}, group{3, Ranking{2}})},
		{name: "stv-weak-defeat", op: "stv", comment: "a tie for exclusion broken by the most recent differing stage", n: 5, maxRank: 5, seats: 2,
			ballots: ranksOf(5, group{1, Ranking{0, 1}}, group{2, Ranking{1}}, group{3, Ranking{2}}, group{4, Ranking{3}}, group{5, Ranking{4}})},
		{name: "irv-discard", op: "irv", comment: "a shared rank, a gap, a rank above k are discarded; a blank counts for no one", n: 3, maxRank: 2, ballots: invalid},
		{name: "irv-lot", op: "irv", comment: "a tie in every round: the lot of round 1 excludes", n: 2, maxRank: 2, seed: []byte("seed"),
			ballots: ranksOf(2, group{2, Ranking{0}}, group{2, Ranking{1}})},
		{name: "borda-lot", op: "borda", comment: "equal scores: the lot orders 0 and 1", n: 3, maxRank: 3, seed: []byte("order"),
			ballots: ranksOf(3, group{1, Ranking{0, 1, 2}}, group{1, Ranking{1, 0, 2}})},
		{name: "schulze-lot", op: "schulze", comment: "two winners: the lot orders 0 and 1", n: 3, maxRank: 3, seed: []byte("order"),
			ballots: ranksOf(3, group{1, Ranking{0, 1, 2}}, group{1, Ranking{1, 0, 2}})},
		{name: "stv-blank", op: "stv", n: 3, maxRank: 3, seats: 1, ballots: []rankGroup{{3, []int{0, 0, 0}}}},
		{name: "stv-seats", op: "stv", n: 3, maxRank: 3, seats: 4, ballots: []rankGroup{{1, []int{1, 0, 0}}}},
	} {
		w.Vector(rc.name)
		w.Input("op", rc.op)
		if rc.comment != "" {
			w.Comment(rc.comment)
		}
		w.Input("candidates", rc.n)
		w.Input("max-rank", rc.maxRank)
		if rc.op == "stv" {
			w.Input("seats", rc.seats)
		}
		if rc.seed != nil {
			w.Input("seed", rc.seed)
		}
		p, err := NewProfile(rc.n, rc.maxRank)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rc.ballots {
			w.Input("ballot", fmt.Sprint(g.count)+" "+joinInts(g.ranks, " "))
			for range g.count {
				p.AddRanks(g.ranks)
			}
		}
		out, err := countVector(rc.op, p, rc.seed, func() int { return rc.seats })
		if reasons := rankedReasons(err); len(reasons) > 0 {
			for _, r := range reasons {
				w.Reject(r)
			}
			continue
		}
		for _, o := range out {
			w.Expect(o.key, o.value)
		}
	}
	return w.Bytes()
}

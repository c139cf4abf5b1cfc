package ballot

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
)

// rankedSample returns the sample manifest with its council contest (five
// candidates) made a ranked contest counted by method, ranking up to k.
func rankedSample(t testing.TB, method string, seats, k int) []byte {
	t.Helper()
	return mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) {
		c := contest(m, 1)
		c["kind"], c["method"], c["max_selections"], c["option_max"] = KindRanked, method, k, k
		if seats > 0 {
			c["seats"] = seats
		}
	})
}

func TestRankedManifest(t *testing.T) {
	for _, tt := range []struct {
		method string
		seats  int
	}{{MethodIRV, 0}, {MethodSTV, 2}, {MethodSchulze, 0}, {MethodBorda, 0}} {
		m, err := ParseManifest(rankedSample(t, tt.method, tt.seats, 3))
		if err != nil {
			t.Fatalf("ParseManifest(ranked %s) = %v", tt.method, err)
		}
		c := m.Contests[1]
		if !c.Ranked() || c.Method != tt.method || c.Seats != tt.seats || m.Contests[0].Ranked() {
			t.Errorf("ranked %s: contest %+v", tt.method, c)
		}
		if lo, hi := c.SumRange(); lo != 0 || hi != 6 {
			t.Errorf("ranked SumRange() = [%d, %d], want [0, 6] (ranks 1+2+3)", lo, hi)
		}
		if lo, hi := m.Contests[0].SumRange(); lo != 0 || hi != 1 {
			t.Errorf("plurality SumRange() = [%d, %d], want [0, 1]", lo, hi)
		}
		canon, err := m.MarshalCanonical()
		if err != nil {
			t.Fatal(err)
		}
		want := `"kind":"ranked","min_selections":0,"max_selections":3,"option_max":3,"method":"` + tt.method + `",`
		if tt.seats > 0 {
			want += `"seats":2,`
		}
		checkCanonical(t, canon, want+`"options":[`)
	}
}

func TestRankedManifestInvalid(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(c obj)
		path   string
		msg    string
	}{
		{"no method", func(c obj) { delete(c, "method") }, "$.contests[1].method", "needs a method"},
		{"unknown method", func(c obj) { c["method"] = "coombs" }, "$.contests[1].method", `unknown method "coombs"`},
		{"empty method", func(c obj) { c["method"] = "" }, "$.contests[1].method", "is empty"},
		{"stv without seats", func(c obj) { c["method"] = MethodSTV }, "$.contests[1].seats", "fills 1 to 4 seats"},
		{"stv with every seat", func(c obj) { c["method"], c["seats"] = MethodSTV, 5 }, "$.contests[1].seats", "fewer than its candidates"},
		{"irv with seats", func(c obj) { c["seats"] = 2 }, "$.contests[1].seats", `only method "stv" has seats`},
		{"seats 0", func(c obj) { c["method"], c["seats"] = MethodSTV, 0 }, "$.contests[1].seats", "at least 1"},
		{"min_selections", func(c obj) { c["min_selections"] = 1 }, "$.contests[1].min_selections", "min_selections 0"},
		{"more ranks than candidates", func(c obj) { c["max_selections"], c["option_max"] = 6, 6 }, "$.contests[1].max_selections", "at most the 5 candidates"},
		{"option_max not k", func(c obj) { c["option_max"] = 2 }, "$.contests[1].option_max", "largest rank, max_selections 3"},
		{"one candidate", func(c obj) {
			c["options"], c["max_selections"], c["option_max"] = c["options"].([]any)[:1], 1, 1
		}, "$.contests[1].options", "at least two candidates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, mutateJSON(t, rankedSample(t, MethodIRV, 0, 3), func(m obj) { tt.mutate(contest(m, 1)) }), tt.path, tt.msg)
		})
	}
	// Method and seats belong to ranked contests only.
	wantProblem(t, mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) { contest(m, 0)["method"] = MethodIRV }),
		"$.contests[0].method", "only a \"ranked\" contest")
	wantProblem(t, mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) { contest(m, 0)["seats"] = 1 }),
		"$.contests[0].seats", "only a \"ranked\" contest")
	// MaxRanks bounds k: a contest of 40 candidates may not let a voter rank 32.
	wantProblem(t, mutateJSON(t, rankedSample(t, MethodIRV, 0, 3), func(m obj) {
		c := contest(m, 1)
		var opts []any
		for i := range 40 {
			opts = append(opts, obj{"id": "x" + strings.Repeat("a", i+1), "title": "X" + strings.Repeat("a", i+1)})
		}
		c["options"], c["max_selections"], c["option_max"] = opts, MaxRanks+1, MaxRanks+1
	}), "$.contests[1].max_selections", "at most 31")
}

// rankedElection returns an election of the ranked sample (IRV, k = 3)
// with voters vs on its roll.
func rankedElection(t testing.TB, vs []*Credential) *Election {
	t.Helper()
	m, err := ParseManifest(rankedSample(t, MethodIRV, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	return newTestElection(t, m, vs)
}

func TestRankedChoices(t *testing.T) {
	vs := voters(1)
	e := rankedElection(t, vs)
	for _, tt := range []struct {
		name  string
		ranks []uint64
		want  error
	}{
		{"full ranking", []uint64{2, 0, 1, 3, 0}, nil},
		{"one", []uint64{0, 0, 0, 0, 1}, nil},
		{"blank", []uint64{0, 0, 0, 0, 0}, nil},
		{"shared rank", []uint64{1, 1, 0, 0, 0}, ErrRanking},
		{"gap", []uint64{1, 0, 3, 0, 0}, ErrRanking},
		{"no first choice", []uint64{2, 0, 0, 0, 0}, ErrRanking},
		{"rank above k", []uint64{1, 2, 3, 4, 0}, ErrOptionMax},
		{"too short", []uint64{1, 2}, ErrShape},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleChoicesFor(t, e.Manifest, "")
			c[1] = tt.ranks
			err := ValidateChoices(e.Manifest, c)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ValidateChoices(%v) = %v, want %v", tt.ranks, err, tt.want)
			}
			if err != nil {
				var ce *ChoiceError
				if !errors.As(err, &ce) || ce.ContestID != "council" {
					t.Errorf("error %v does not name contest council", err)
				}
				if _, _, err := Encrypt(e, vs[0].Public, c, ConfirmationCode{}); !errors.Is(err, tt.want) {
					t.Errorf("Encrypt(%v) = %v, want %v", tt.ranks, err, tt.want)
				}
			}
		})
	}
}

// TestRankedBallot encrypts a ranked ballot beside homomorphic contests:
// each rank ciphertext is proved in [0, k] and the ranks' sum in [0,
// k(k+1)/2], both bound to the contest like every proof of a ballot.
func TestRankedBallot(t *testing.T) {
	vs := voters(2)
	e := rankedElection(t, vs)
	c := sampleChoicesFor(t, e.Manifest, "")
	c[1] = []uint64{2, 0, 1, 3, 0}
	b, s, err := Encrypt(e, vs[0].Public, c, ConfirmationCode{})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyBallot(e, b, vs[0].Public); err != nil {
		t.Fatalf("VerifyBallot(ranked ballot) = %v", err)
	}
	bb := NewBallotBatch(e)
	if _, err := bb.Add(b, vs[0].Public); err != nil {
		t.Fatal(err)
	}
	if err := bb.Verify(); err != nil {
		t.Fatalf("batch of a ranked ballot = %v", err)
	}
	// A sum proof for the homomorphic range [0, max_selections] = [0, 3],
	// as a client ignoring the kind would make, is refused by its size.
	lo, hi := uint64(0), uint64(3)
	sumR := crypto.NewScalar()
	for _, r := range s.Randomness[1] {
		sumR.Add(sumR, r)
	}
	forged := *b
	forged.Contests = slices.Clone(b.Contests)
	forged.Contests[1].SumProof, err = crypto.ProveRange(ProofContext(e.BaseHash, vs[0].Public, ConfirmationCode{}, 1, SumOption),
		e.PublicKey, b.Contests[1].Sum(), 3, sumR, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyBallot(e, &forged, vs[0].Public); !errors.Is(err, ErrShape) {
		t.Errorf("VerifyBallot(sum proof for [0, 3]) = %v, want ErrShape", err)
	}
	// A rank ciphertext moved from another contest fails its proof, bound
	// to candidate and contest.
	forged.Contests[1] = b.Contests[1]
	forged.Contests[1].Options = slices.Clone(b.Contests[1].Options)
	forged.Contests[1].Options[0], forged.Contests[1].Options[2] = b.Contests[1].Options[2], b.Contests[1].Options[0]
	var pe *ProofError
	if err := VerifyBallot(e, &forged, vs[0].Public); !errors.As(err, &pe) || pe.ContestID != "council" || pe.Option != 0 {
		t.Errorf("VerifyBallot(swapped rank ciphertexts) = %v, want a bad proof of council option 0", err)
	}
}

// TestRankedWeightRefused: a roll may not weigh a voter whose ballot
// carries a ranked contest, since a mixed ballot has lost its voter.
func TestRankedWeightRefused(t *testing.T) {
	vs := voters(3)
	m, err := ParseManifest(rankedSample(t, MethodIRV, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	mh, _ := m.Hash()
	entries := []RollEntry{vs[0].Entry(), vs[1].Entry(), vs[2].Entry()}
	if err := m.CheckRoll(RollChunks(mh, 0, entries)[0]); err != nil {
		t.Fatalf("CheckRoll(unweighted) = %v", err)
	}
	entries[1].Weight = 2
	err = m.CheckRoll(RollChunks(mh, 0, entries)[0])
	if !errors.Is(err, ErrRankedWeight) || !strings.Contains(err.Error(), `entry 1 (voter "voter-1")`) {
		t.Errorf("CheckRoll(weight 2) = %v, want ErrRankedWeight naming entry 1", err)
	}
}

// checkCanonical checks that the canonical manifest canon holds fragment
// and that parsing it and encoding it again gives it back.
func checkCanonical(t *testing.T, canon []byte, fragment string) {
	t.Helper()
	if !bytes.Contains(canon, []byte(fragment)) {
		t.Errorf("canonical manifest lacks %s in\n%s", fragment, canon)
	}
	back, err := ParseCanonicalManifest(canon)
	if err != nil {
		t.Fatalf("ParseCanonicalManifest = %v", err)
	}
	if again, _ := back.MarshalCanonical(); !bytes.Equal(again, canon) {
		t.Errorf("manifest does not round-trip")
	}
}

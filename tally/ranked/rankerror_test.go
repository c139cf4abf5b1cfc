package ranked

import (
	"errors"
	"reflect"
	"testing"
)

// TestRankError checks that FromRanks names the fault of a rank vector,
// so that a voter's client can say it: the rank and the candidates.
func TestRankError(t *testing.T) {
	for _, tt := range []struct {
		ranks []int
		want  RankError
		text  string
	}{
		{[]int{1, 0, 1, 2}, RankError{Rank: 1, Candidates: []int{0, 2}, Shared: true}, "invalid ranking: candidates 0 and 2 share rank 1"},
		{[]int{3, 1, 0, 0}, RankError{Rank: 2, Missing: true, Top: 3}, "invalid ranking: rank 2 is missing below rank 3"},
		{[]int{0, 4, 1, 2}, RankError{Rank: 4, Candidates: []int{1}, Top: 3}, "invalid ranking: candidate 1 has rank 4, outside 0…3"},
	} {
		_, err := FromRanks(tt.ranks, 3)
		var re *RankError
		if !errors.As(err, &re) || !reflect.DeepEqual(*re, tt.want) || !errors.Is(err, ErrInvalidRanking) || err.Error() != tt.text {
			t.Errorf("FromRanks(%v, 3) = %v (%#v), want %#v saying %q", tt.ranks, err, re, tt.want, tt.text)
		}
	}
}

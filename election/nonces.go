package election

import (
	"slices"
	"sort"
)

// castNonceIndex finds the cast ballots that may hold a ciphertext with a
// given nonce fingerprint, in 8 bytes per ciphertext rather than a map's
// 30: a million ballots of ten options are ten million fingerprints. Each
// entry packs the fingerprint's first 4 bytes with the ballot's slot in the
// state's ciphertextLog, where the caller confirms the whole fingerprint.
//
// Entries are appended as ballots are cast (every ballot) and searched only
// when a ballot is challenged (rarely): the first entries are kept sorted
// and the rest in the order cast, and a search sorts and merges the rest in
// once it is long enough to be worth it, so each entry is moved a bounded
// number of times whatever the order of casts and challenges.
type castNonceIndex struct {
	entries []uint64 // fingerprint's high 32 bits << 32 | slot
	sorted  int      // entries[:sorted] are in order
}

// mergeAt is the shortest unsorted tail a search merges in, rather than
// scanning it.
const mergeAt = 4096

func (x *castNonceIndex) add(n nonce, slot uint32) {
	x.entries = append(x.entries, uint64(n)>>32<<32|uint64(slot))
}

// candidates returns, in ascending order and once each, the slots of the
// cast ballots with a ciphertext whose fingerprint starts as one of ns's.
func (x *castNonceIndex) candidates(ns []nonce) []uint32 {
	x.settle()
	var slots []uint32
	for _, n := range ns {
		high := uint64(n) >> 32
		i := sort.Search(x.sorted, func(i int) bool { return x.entries[i]>>32 >= high })
		for ; i < x.sorted && x.entries[i]>>32 == high; i++ {
			slots = append(slots, uint32(x.entries[i]))
		}
	}
	for _, e := range x.entries[x.sorted:] {
		for _, n := range ns {
			if e>>32 == uint64(n)>>32 {
				slots = append(slots, uint32(e))
				break
			}
		}
	}
	slices.Sort(slots)
	return slices.Compact(slots)
}

// settle sorts the unsorted tail and merges it into the sorted entries if
// it is at least mergeAt long and an eighth of them, so that the sorted
// part grows by an eighth at least with each merge.
func (x *castNonceIndex) settle() {
	tail := x.entries[x.sorted:]
	if len(tail) < max(mergeAt, x.sorted/8) {
		return
	}
	tail = slices.Clone(tail)
	slices.Sort(tail)
	// Merge from the back, into the room the tail leaves.
	i, j := x.sorted-1, len(tail)-1
	for k := len(x.entries) - 1; j >= 0; k-- {
		if i >= 0 && x.entries[i] > tail[j] {
			x.entries[k] = x.entries[i]
			i--
		} else {
			x.entries[k] = tail[j]
			j--
		}
	}
	x.sorted = len(x.entries)
}

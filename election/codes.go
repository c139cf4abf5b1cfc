package election

import (
	"encoding/binary"

	"github.com/evote/evote/ballot"
)

// codeUse records where a confirmation code was used.
type codeUse struct {
	index      uint64
	challenged bool
}

// codeIndex finds the record that used a confirmation code, in about half
// the memory of a map from whole codes: each cast ballot's code is kept
// once, by its slot in the state's ciphertextLog, and a map from the code's
// first 8 bytes to that slot finds it. The codes of challenged ballots, and
// the rare cast code whose first 8 bytes an earlier one already has, are
// kept whole.
type codeIndex struct {
	bySlot []ballot.ConfirmationCode           // the code of each cast ballot, by slot
	cast   map[uint64]uint32                   // first 8 bytes → slot of the first cast code with them
	others map[ballot.ConfirmationCode]codeUse // challenged codes, and cast codes whose first 8 bytes were taken
}

func newCodeIndex() codeIndex {
	return codeIndex{cast: make(map[uint64]uint32), others: make(map[ballot.ConfirmationCode]codeUse)}
}

func codePrefix(code ballot.ConfirmationCode) uint64 { return binary.BigEndian.Uint64(code[:8]) }

// find returns where code was used; slotIndex gives the record of each
// slot.
func (x *codeIndex) find(code ballot.ConfirmationCode, slotIndex []uint64) (codeUse, bool) {
	if slot, ok := x.cast[codePrefix(code)]; ok && x.bySlot[slot] == code {
		return codeUse{index: slotIndex[slot]}, true
	}
	use, ok := x.others[code]
	return use, ok
}

// addCast records that the ballot cast as record index, stored in slot
// (the next slot), has code.
func (x *codeIndex) addCast(code ballot.ConfirmationCode, slot uint32, index uint64) {
	x.bySlot = append(x.bySlot, code)
	if _, taken := x.cast[codePrefix(code)]; !taken {
		x.cast[codePrefix(code)] = slot
		return
	}
	x.others[code] = codeUse{index: index}
}

// addChallenged records that the challenged ballot of record index has
// code.
func (x *codeIndex) addChallenged(code ballot.ConfirmationCode, index uint64) {
	x.others[code] = codeUse{index: index, challenged: true}
}

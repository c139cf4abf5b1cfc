package voterclient

import (
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// ReceiptStatus is the outcome of a successful receipt check.
type ReceiptStatus struct {
	// Index is the ballot's record index.
	Index int64 `json:"index"`
	// Size is the tree size of the checkpoint in the receipt.
	Size int64 `json:"size"`
	// Latest is the tree size of the board's latest checkpoint, which
	// extends the receipt's.
	Latest int64 `json:"latest"`
	// RecordChecked reports whether the record itself was compared with
	// the receipt.
	RecordChecked bool `json:"record_checked"`
}

// verifyReceipt checks the receipt's checkpoint signature and its
// inclusion proof, and returns the checkpoint's tree size and root hash.
func verifyReceipt(r *bulletin.Receipt, vkey string) (int64, tlog.Hash, error) {
	size, root, err := bulletin.VerifyCheckpoint(vkey, r.Checkpoint)
	if err != nil {
		return 0, root, problem(CodeBadReceipt, err, "The receipt is not signed by this board's key. Either the receipt was altered, or the key you checked it with is not this board's.")
	}
	if r.Index >= size {
		return 0, root, problem(CodeBadReceipt, nil, "The receipt names record %d, outside the board's signed tree of %d records: it is not valid.", r.Index, size)
	}
	if err := bulletin.CheckInclusion(r.Proof, r.Index, size, r.LeafHash, root); err != nil {
		return 0, root, problem(CodeBadReceipt, err, "The receipt's proof does not show your ballot in the board's signed tree: the receipt was altered or is not valid.")
	}
	return size, root, nil
}

// CheckReceipt checks a ballot's receipt (docs/spec/voter-client.md §6):
//
//  1. the receipt's checkpoint is signed by the board key vkey and its
//     inclusion proof puts the ballot's record in that tree;
//  2. latest, the board's current signed checkpoint, is signed by the same
//     key and is not smaller;
//  3. proof, the board's consistency proof from the receipt's tree size to
//     latest's, shows the current tree extends the receipt's: the board has
//     not removed or rewritten the ballot since;
//  4. if record is not nil, it is the board's current copy of the record
//     (GET /records/{index}) and its leaf hash is the receipt's.
//
// Any failure is a *Problem saying in plain words what it means.
func CheckReceipt(receipt []byte, vkey string, latest []byte, proof tlog.TreeProof, record []byte) (*ReceiptStatus, error) {
	r, err := parseReceipt(receipt)
	if err != nil {
		return nil, problem(CodeBadReceipt, err, "This file is not a ballot receipt, or it is damaged. Choose the receipt file you saved when you cast your ballot.")
	}
	oldSize, oldRoot, err := verifyReceipt(r, vkey)
	if err != nil {
		return nil, err
	}
	curSize, curRoot, err := bulletin.VerifyCheckpoint(vkey, latest)
	if err != nil {
		return nil, problem(CodeBadBoard, err, "The board's current checkpoint is not signed by its key, so the receipt cannot be checked against it. Tell your election official.")
	}
	if curSize < oldSize {
		return nil, problem(CodeBadReceipt, nil, "The board now shows %d records, fewer than the %d of your receipt: the board's history was cut. Keep your receipt and tell your election official and observers.", curSize, oldSize)
	}
	if err := bulletin.CheckConsistency(proof, oldSize, oldRoot, curSize, curRoot); err != nil {
		return nil, problem(CodeBadReceipt, err, "The board's current history does not contain the history your receipt was signed for: the board rewrote its records. Keep your receipt and tell your election official and observers.")
	}
	st := &ReceiptStatus{Index: r.Index, Size: oldSize, Latest: curSize}
	if record != nil {
		rec, err := parseRecord(record)
		if err != nil {
			return nil, badBoard(err, "its copy of record %d is not readable", r.Index)
		}
		if !r.Matches(rec) {
			return nil, problem(CodeBadReceipt, nil, "The board's record %d is not the ballot in your receipt: the board changed it. Keep your receipt and tell your election official and observers.", r.Index)
		}
		st.RecordChecked = true
	}
	return st, nil
}

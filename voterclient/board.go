package voterclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evote/evote/bulletin"
)

// ParseRecords decodes the body of GET /records (docs/spec/bulletin.md §8):
// one record per line (JSON Lines), or a JSON array of records
// (?format=array). Each record must be in the canonical encoding
// (bulletin.ParseRecord); signatures are checked by the Syncer.
func ParseRecords(data []byte) ([]*bulletin.Record, error) {
	data = bytes.TrimSpace(data)
	var lines [][]byte
	if len(data) > 0 && data[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(data, &raws); err != nil {
			return nil, fmt.Errorf("records: %w", err)
		}
		for _, r := range raws {
			lines = append(lines, r)
		}
	} else {
		for l := range bytes.SplitSeq(data, []byte("\n")) {
			if l = bytes.TrimSpace(l); len(l) > 0 {
				lines = append(lines, l)
			}
		}
	}
	recs := make([]*bulletin.Record, 0, len(lines))
	for _, l := range lines {
		r, err := bulletin.ParseRecord(l)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// parseRecord decodes one record as GET /records/{index} serves it: the
// canonical encoding followed by a newline.
func parseRecord(data []byte) (*bulletin.Record, error) {
	return bulletin.ParseRecord(bytes.TrimSpace(data))
}

// parseReceipt decodes a receipt file (bulletin.ParseReceipt), also when
// it was saved with CRLF line endings on Windows. It does not verify it.
func parseReceipt(data []byte) (*bulletin.Receipt, error) {
	return bulletin.ParseReceipt(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")))
}

// receiptSize returns the tree size of r's checkpoint without verifying
// its signature, so that a caller can ask the board for the consistency
// proof CheckReceipt needs.
func receiptSize(r *bulletin.Receipt) (int64, error) {
	c, err := receiptCheckpoint(r)
	return c.Size, err
}

// receiptCheckpoint returns the checkpoint of r without verifying its
// signature: the board (origin) and tree size it names.
func receiptCheckpoint(r *bulletin.Receipt) (bulletin.Checkpoint, error) {
	i := bytes.Index(r.Checkpoint, []byte("\n\n"))
	if i < 0 {
		return bulletin.Checkpoint{}, errors.New("receipt: checkpoint has no signatures")
	}
	return bulletin.ParseCheckpoint(r.Checkpoint[:i+1])
}

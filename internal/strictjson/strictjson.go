// Package strictjson decodes JSON that must hold exactly one value of a
// known shape, as every evote format does: unknown fields and trailing data
// are errors. Formats that admit a single canonical encoding then compare
// the input with the re-encoded value.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrTrailingData is returned for input with more after its JSON value.
var ErrTrailingData = errors.New("trailing data after JSON value")

// Unmarshal decodes the single JSON value in data into v, rejecting
// unknown fields and anything after the value but white space.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		return ErrTrailingData
	}
	return nil
}

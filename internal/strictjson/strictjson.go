// Package strictjson decodes JSON that must hold exactly one value of a
// known shape, as every evote format does: unknown fields, null and
// trailing data are errors. Formats that admit a single canonical encoding
// then compare the input with the re-encoded value.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrTrailingData is returned for input with more after its JSON value.
var ErrTrailingData = errors.New("trailing data after JSON value")

// ErrNull is wrapped by the error for input that holds a JSON null. No
// evote format has a null anywhere, and encoding/json would decode one into
// a nil pointer, slice or map that the code reading the value does not
// expect.
var ErrNull = errors.New("null is not allowed")

// Unmarshal decodes the single JSON value in data into v, rejecting a null
// anywhere in data (outside strings: "null" as text is fine), unknown
// fields and anything after the value but white space. A null is reported
// before anything else, and then v is left unchanged.
func Unmarshal(data []byte, v any) error {
	if off := indexNull(data); off >= 0 {
		return fmt.Errorf("%w (at byte offset %d)", ErrNull, off)
	}
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

// indexNull returns the offset of the first literal null outside a JSON
// string in data, or −1 if there is none. It does not check the syntax,
// which the decoder does next: in valid JSON, an 'n' outside strings can
// only start a null (true, false and numbers have none), so it is enough to
// skip strings and look for "null". Unmarshal runs it on every board record,
// some of them megabytes long, so it finds the end of each string with
// bytes.IndexByte rather than byte by byte.
func indexNull(data []byte) int {
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case 'n':
			if bytes.HasPrefix(data[i:], []byte("null")) {
				return i
			}
		case '"':
			end := stringEnd(data, i)
			if end < 0 {
				return -1 // an unterminated string: the decoder reports it
			}
			i = end
		}
	}
	return -1
}

// stringEnd returns the offset of the quote that closes the JSON string
// opening at data[start], or −1 if there is none: the first quote after
// start that an even number of backslashes precedes.
func stringEnd(data []byte, start int) int {
	for i := start + 1; ; i++ {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		// data[start] is a quote, so the loop stops there at the latest.
		b := i - 1
		for data[b] == '\\' {
			b--
		}
		if (i-1-b)%2 == 0 {
			return i
		}
	}
}

package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// SetTrustees returns the hand-written election definition with its
// "trustees" member (docs/spec/ballot.md §1.1) set to trustees, in order,
// for an official who takes the trustees from the public key files they
// sent rather than copying the keys in by hand.
//
// SetTrustees completes a definition; it never replaces trustees written
// in it: the "trustees" member must be missing or an empty list. Every
// other member is kept as written, in order (duplicates too, for
// ParseManifest to report), but the white space between members is not.
// SetTrustees checks neither the trustees nor the rest of the definition:
// parse the result with ParseManifest.
func SetTrustees(definition []byte, trustees []Trustee) ([]byte, error) {
	members, err := splitObject(definition)
	if err != nil {
		return nil, fmt.Errorf("setting the definition's trustees: %w", err)
	}
	list := make([]trusteeJSON, len(trustees))
	for i, t := range trustees {
		list[i] = trusteeJSON{Name: t.Name, SignKey: t.SignKey, EncKey: t.EncKey}
	}
	value, err := marshalCompact(list)
	if err != nil {
		return nil, fmt.Errorf("setting the definition's trustees: %w", err)
	}
	set := false
	for i, m := range members {
		if m.key != "trustees" {
			continue
		}
		var listed []json.RawMessage
		if v := bytes.TrimSpace(m.value); len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &listed) != nil || len(listed) > 0 {
			return nil, errors.New("the definition lists its trustees already: leave \"trustees\" out, or empty, to set them from their public keys")
		}
		if set {
			return nil, errors.New("the definition has two \"trustees\" members")
		}
		members[i].value, set = value, true
	}
	if !set {
		members = append(members, member{key: "trustees", value: value})
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, m := range members {
		key, err := marshalCompact(m.key)
		if err != nil {
			return nil, fmt.Errorf("setting the definition's trustees: %w", err)
		}
		fmt.Fprintf(&b, "  %s: %s", key, bytes.TrimSpace(m.value))
		if i < len(members)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// member is one member of a JSON object, its value as written.
type member struct {
	key   string
	value json.RawMessage
}

// splitObject returns the members of the JSON object data, in order,
// duplicates included. It fails if data is not one JSON object.
func splitObject(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the definition is not a JSON object")
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the definition is not valid JSON: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("the definition is not valid JSON: %w", err)
		}
		members = append(members, member{key: key, value: v})
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, fmt.Errorf("the definition is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the definition has data after its JSON object")
	}
	return members, nil
}

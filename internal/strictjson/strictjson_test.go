package strictjson

import (
	"errors"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	type v struct {
		A int `json:"a"`
	}
	for _, tt := range []struct {
		in      string
		wantErr bool
	}{
		{`{"a":1}`, false},
		{` {"a":1} `, false},
		{`{"a":1,"b":2}`, true}, // unknown field
		{`{"a":1}{"a":2}`, true},
		{`{"a":1}]`, true},
		{`{"a":1}}`, true},
		{`{"a":1} x`, true},
		{`{"a":"1"}`, true},
		{``, true},
	} {
		var got v
		err := Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%q) = %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
	if err := Unmarshal([]byte(`{"a":1} {}`), new(v)); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing value: %v, want ErrTrailingData", err)
	}
}

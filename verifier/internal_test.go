package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/verifier/verifiertest"
)

// TestHelpersAgainstRecords checks the shortcuts Verify takes against the
// slow, obvious computation on every record of a real election.
func TestHelpersAgainstRecords(t *testing.T) {
	var buf bytes.Buffer
	if _, err := verifiertest.Generate(context.Background(), verifiertest.Options{
		Voters: 3, Trustees: 2, Threshold: 2, Challenges: 1, Revotes: 1, Contests: verifiertest.KofN(3, 1),
	}, &buf); err != nil {
		t.Fatal(err)
	}
	export := buf.Bytes()
	sniff := &typeSniffer{r: iotestOneByte(bytes.NewReader(export)), types: make(map[int64]string)}
	var types []string
	_, err := bulletin.ReadExport(sniff, func(r *bulletin.Record) error {
		enc, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		if got, want := lineLen(r), int64(len(enc)+1); got != want {
			t.Errorf("lineLen(record %d) = %d, want %d", r.Index, got, want)
		}
		if r.Type == election.TypeBallot {
			b, err := ballot.ParseEncryptedBallot(r.Payload)
			if err != nil {
				return err
			}
			if ballot.ConfirmationCodeOf(r.Payload) != b.ConfirmationCode() {
				t.Errorf("ConfirmationCodeOf(record %d) differs from the ballot's ConfirmationCode", r.Index)
			}
		}
		types = append(types, r.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range types {
		if got := sniff.typeOf(int64(i)); got != want {
			t.Errorf("sniffed type of line %d = %q, want %q", i, got, want)
		}
	}
	if got := sniffType([]byte(`{"index":1,"time":"x","type":"Bad Type"`)); got != "" {
		t.Errorf("sniffType accepted an invalid type: %q", got)
	}
}

// iotestOneByte returns a reader that reads one byte at a time, so that
// lines arrive in pieces.
func iotestOneByte(r io.Reader) io.Reader { return oneByte{r} }

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestCountsJSON(t *testing.T) {
	c := Counts{{"zeta", 1}, {"alpha", 22}, {"with \"quote\"", 3}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"zeta":1,"alpha":22,"with \"quote\"":3}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back Counts
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 3 || back[1] != c[1] || back[2] != c[2] {
		t.Errorf("Unmarshal = %v, %v; want %v", back, err, c)
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Error("Unmarshal accepted an array")
	}
}

package interop_test

import (
	"errors"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/interop"
)

// fuzzImport checks an importer on any input: it never panics, an
// import it accepts is a valid definition (CheckDraft), and a refusal that
// is an *interop.Error names at least one element.
func fuzzImport(f *testing.F, from func([]byte, interop.Options) (*ballot.Manifest, error), seeds ...string) {
	for _, s := range seeds {
		f.Add(readSample(f, s), false)
		f.Add(readSample(f, s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, count bool) {
		opts := interop.Options{}
		if count {
			opts.WriteIns = interop.CountWriteIns
		}
		m, err := from(data, opts)
		if err == nil {
			if err := interop.CheckDraft(m); err != nil {
				t.Errorf("the import accepted an invalid definition: %v", err)
			}
			return
		}
		var e *interop.Error
		if errors.As(err, &e) && len(e.Problems) == 0 {
			t.Errorf("a refusal naming no element: %v", err)
		}
	})
}

func FuzzFromElectionGuard(f *testing.F) {
	fuzzImport(f, interop.FromElectionGuard, "electionguard-1.0/manifest-full.json", "electionguard-1.0/manifest-small.json", "electionguard-2.1/election_manifest.json")
}

func FuzzFromNIST(f *testing.F) {
	fuzzImport(f, interop.FromNIST, "nist-ballot-definition/physical_ballot_def_1.json", "nist-ballot-definition/controlling_contest_straight_party.json")
}

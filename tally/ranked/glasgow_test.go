package ranked

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSTVGlasgow2007 counts real elections: wards of the Glasgow City
// Council election of 3 May 2007, the first held under the Scottish rules,
// from the full preference data the council published (as BLT files, in
// testdata/glasgow2007, taken from the test data of Droop, an STV counter
// by J. Lundell, https://github.com/jklundell/droop). Each .droop file
// holds Droop's reference count of the ward under its "Scottish STV" rule
// (test/ref/report/scotland): every candidate's votes after every stage,
// to five decimal places, and the elected. Our count must match every
// value of every stage. Run against all 21 wards of Droop's set, it does
// (about 1,400 values); four are kept here.
func TestSTVGlasgow2007(t *testing.T) {
	files, err := filepath.Glob("testdata/glasgow2007/*.blt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no wards: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			p, seats, names, title, err := readBLT(fh)
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			ref, err := os.ReadFile(strings.TrimSuffix(f, ".blt") + ".droop")
			if err != nil {
				t.Fatal(err)
			}
			res, err := STV(p, seats, []byte(title))
			if err != nil {
				t.Fatal(err)
			}
			stage, compared := 0, 0
			for _, line := range strings.Split(strings.TrimSpace(string(ref)), "\n") {
				key, value, _ := strings.Cut(line, ": ")
				switch {
				case strings.HasPrefix(line, "#"):
				case strings.HasPrefix(key, "stage "):
					stage++
					if stage > len(res.Stages) {
						t.Fatalf("%d stages, Droop has more", len(res.Stages))
					}
					for c, w := range strings.Fields(value) {
						if w == "-" {
							continue
						}
						compared++
						if got := res.Stages[stage-1].Counts[c].String(); got != w {
							t.Errorf("%s: stage %d (%s): %s has %s, Droop %s", title, stage, res.Stages[stage-1].Action, names[c], got, w)
						}
					}
				case key == "elected":
					var want []int
					for _, s := range strings.Fields(value) {
						c, err := strconv.Atoi(s)
						if err != nil {
							t.Fatal(err)
						}
						want = append(want, c-1)
					}
					if got := slices.Sorted(slices.Values(res.Elected)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
						t.Errorf("%s: elected %v, Droop %v", title, got, want)
					}
				default:
					t.Fatalf("bad line %q", line)
				}
			}
			if stage != len(res.Stages) {
				t.Errorf("%d stages, Droop %d", len(res.Stages), stage)
			}
			t.Logf("%s: %d ballots, %d seats, %d stages, %d values match", title, len(p.Ballots), seats, stage, compared)
		})
	}
}

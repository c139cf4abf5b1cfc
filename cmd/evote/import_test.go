package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
)

// TestImportInitExport: an official imports the NIST sample with
// `election import`, posts it with `election init --trustee …` (the
// trustees added as to a template), and exports it back as NIST SP
// 1500-100, which imports again to the same contests; the straight-party
// sample is refused, naming its contest.
func TestImportInitExport(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "board", "keygen", "--out", filepath.Join(dir, "board"))
	url, _ := startBoard(t, t.Context(), "--db", filepath.Join(dir, "board.db"), "--init", "--key", filepath.Join(dir, "board", "board.skey"))
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	mustRun(t, "registrar", "keygen", "--out", filepath.Join(dir, "registrar.key"))
	samples := filepath.Join("..", "..", "interop", "testdata", "nist-ballot-definition")
	draft := []string{"--key", filepath.Join(dir, "official.key"), "--registrar", "@" + filepath.Join(dir, "registrar.pub")}

	_, err := run(t, append(append([]string{"election", "import", "--from", "nist", "--out", filepath.Join(dir, "sp.json")}, draft...), filepath.Join(samples, "controlling_contest_straight_party.json"))...)
	if err == nil || !strings.Contains(err.Error(), `$.Election[0].Contest[0]: contest "cc-straight-party" is a StraightPartyContest`) {
		t.Errorf("importing the straight-party sample = %v, want its contest refused by path and id", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sp.json")); err == nil {
		t.Error("a refused import wrote its definition")
	}

	def := filepath.Join(dir, "election.json")
	printed := mustRun(t, append(append([]string{"election", "import", "--from", "nist", "--write-ins", "count", "--out", def}, draft...), filepath.Join(samples, "physical_ballot_def_1.json"))...)
	if !strings.Contains(printed, "imported 1 contests, 1 ballot styles") || !strings.Contains(printed, "evote election init --definition") {
		t.Errorf("import printed %q", printed)
	}
	files, _ := trusteePubFiles(t, dir, 2)
	mustRun(t, "election", "init", "--key", filepath.Join(dir, "official.key"), "--definition", def,
		"--board", url, "--board-key", "@"+filepath.Join(dir, "board", "board.vkey"), "--trustee", "Ann="+files[0], "--trustee", "Bo="+files[1])
	posted, payload := postedDefinition(t, url, filepath.Join(dir, "board", "board.vkey"))
	if len(posted.Contests) != 1 || len(posted.Contests[0].Options) != 5 || posted.Styles[0].ID != "001-bra" || len(posted.Trustees) != 2 {
		t.Errorf("the posted definition = %+v", posted)
	}

	if err := os.WriteFile(def, payload, 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")
	mustRun(t, "election", "export", "--to", "nist", "--definition", def, "--out", report)
	again := filepath.Join(dir, "again.json")
	mustRun(t, append(append([]string{"election", "import", "--from", "nist", "--out", again}, draft...), report)...)
	data, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	filled, err := ballot.SetTrustees(data, posted.Trustees)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.ParseManifest(filled)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := (&ballot.Manifest{Contests: m.Contests, Styles: m.Styles, Title: m.Title, ID: m.ID}).MarshalCanonical()
	b, _ := (&ballot.Manifest{Contests: posted.Contests, Styles: posted.Styles, Title: posted.Title, ID: posted.ID}).MarshalCanonical()
	if string(a) != string(b) {
		t.Errorf("import ∘ export ∘ import changed the definition:\n%s\n%s", a, b)
	}
}

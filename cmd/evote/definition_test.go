package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/ceremony"
)

// TestSigningKeygenPublicKey: the official's and the registrar's keygen
// write the public key beside the private one, as the board's and the
// trustees' keygens do, and a keygen that cannot leaves neither file.
func TestSigningKeygenPublicKey(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		role, out, pub string
	}{
		{"election", "official.key", "official.pub"},
		{"registrar", "registrar-2027", "registrar-2027.pub"},
	} {
		printed := mustRun(t, tt.role, "keygen", "--out", filepath.Join(dir, tt.out))
		priv, err := readSigningKey(filepath.Join(dir, tt.out))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := os.ReadFile(filepath.Join(dir, tt.pub))
		if err != nil {
			t.Fatalf("%s keygen --out %s: %v", tt.role, tt.out, err)
		}
		want := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
		if string(pub) != want+"\n" || !strings.HasSuffix(printed, "\n"+want+"\n") {
			t.Errorf("%s keygen wrote %q to %s and printed %q, want the public key %s", tt.role, pub, tt.pub, printed, want)
		}
		k, err := publicKeyArg("@"+filepath.Join(dir, tt.pub), "registrar")
		if err != nil || base64.StdEncoding.EncodeToString(k) != want {
			t.Errorf("publicKeyArg(@%s) = %x, %v, want %s", tt.pub, k, err, want)
		}
	}
	// The public key's file exists: the private key just written goes.
	if err := os.WriteFile(filepath.Join(dir, "taken.pub"), []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "election", "keygen", "--out", filepath.Join(dir, "taken.key")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("keygen over an existing taken.pub = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "taken.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed keygen left taken.key: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "taken.pub")); string(b) != "theirs" {
		t.Errorf("a failed keygen changed taken.pub to %q", b)
	}
}

// withClock sets the clock of the commands to now for the test.
func withClock(t *testing.T, now time.Time) {
	old := timeNow
	timeNow = func() time.Time { return now }
	t.Cleanup(func() { timeNow = old })
}

// officialAndRegistrar makes the official's and the registrar's keys in dir.
func officialAndRegistrar(t *testing.T, dir string) (official, registrar ed25519.PublicKey) {
	t.Helper()
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	mustRun(t, "registrar", "keygen", "--out", filepath.Join(dir, "registrar.key"))
	priv, err := readSigningKey(filepath.Join(dir, "official.key"))
	if err != nil {
		t.Fatal(err)
	}
	registrar, err = publicKeyArg("@"+filepath.Join(dir, "registrar.pub"), "registrar")
	if err != nil {
		t.Fatal(err)
	}
	return priv.Public().(ed25519.PublicKey), registrar
}

// trusteePubFiles makes n trustees' public key files in dir, as `evote
// trustee keygen` writes them, and returns their paths and keys.
func trusteePubFiles(t *testing.T, dir string, n int) ([]string, []*ceremony.TrusteePublicKey) {
	t.Helper()
	var paths []string
	var keys []*ceremony.TrusteePublicKey
	for i := range n {
		k, err := ceremony.GenerateTrusteeKeys()
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.Public().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "trustee"+string(rune('1'+i))+".pub.json")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		paths, keys = append(paths, path), append(keys, k.Public())
	}
	return paths, keys
}

// TestElectionTemplate writes sample definitions: with the trustees added
// they parse, with the official's and the registrar's keys and the window
// asked for.
func TestElectionTemplate(t *testing.T) {
	now := time.Date(2031, 3, 4, 5, 6, 7, 890, time.UTC)
	withClock(t, now)
	dir := t.TempDir()
	official, registrar := officialAndRegistrar(t, dir)
	_, keys := trusteePubFiles(t, dir, 3)
	var trustees []ballot.Trustee
	for i, k := range keys {
		trustees = append(trustees, ballot.Trustee{Name: "T" + string(rune('1'+i)), SignKey: k.SignKey, EncKey: k.EncKey})
	}
	key := filepath.Join(dir, "official.key")
	for _, tt := range []struct {
		name           string
		args           []string
		opens, closes  time.Time
		threshold      int
		wantOutputFile bool
	}{
		{"defaults", nil, now.Truncate(time.Second), now.Truncate(time.Second).Add(24 * time.Hour), 2, true},
		{"duration", []string{"--opens", "now", "--closes", "36h30m", "--threshold", "3"}, now.Truncate(time.Second), now.Truncate(time.Second).Add(36*time.Hour + 30*time.Minute), 3, true},
		{"times", []string{"--opens", "2031-05-02T07:00:00Z", "--closes", "2031-05-02T19:00:00Z", "--out", "-"},
			time.Date(2031, 5, 2, 7, 0, 0, 0, time.UTC), time.Date(2031, 5, 2, 19, 0, 0, 0, time.UTC), 2, false},
		{"opens later", []string{"--opens", "2031-05-02T07:00:00Z", "--closes", "2h", "--threshold", "1", "--out", "-"},
			time.Date(2031, 5, 2, 7, 0, 0, 0, time.UTC), time.Date(2031, 5, 2, 9, 0, 0, 0, time.UTC), 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "election.json")
			args := append([]string{"election", "template", "--key", key, "--registrar", "@" + filepath.Join(dir, "registrar.pub"), "--out", path}, tt.args...)
			printed := mustRun(t, args...)
			def := []byte(printed)
			if tt.wantOutputFile {
				var err error
				if def, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ballot.ParseManifest(def); err == nil || !strings.Contains(err.Error(), "$.trustees") {
				t.Errorf("the template without trustees parsed: %v", err)
			}
			filled, err := ballot.SetTrustees(def, trustees)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ballot.ParseManifest(filled)
			if err != nil {
				t.Fatalf("the template with trustees: %v\n%s", err, def)
			}
			if !m.Official.Equal(official) || !m.Registrar.Equal(registrar) || !m.Opens.Equal(tt.opens) || !m.Closes.Equal(tt.closes) || m.Threshold != tt.threshold {
				t.Errorf("template %v = official %x, registrar %x, %v to %v, threshold %d; want %x, %x, %v to %v, %d",
					tt.args, m.Official, m.Registrar, m.Opens, m.Closes, m.Threshold, official, registrar, tt.opens, tt.closes, tt.threshold)
			}
			// The README's voter choices fit the sample.
			for _, choices := range []string{"mayor=alice;council=dan,erin;budget=schools:3,roads:2;tree=oak>lime", "mayor=bob;parks=lake,north;budget=roads:3,safety:2;tree=ash>oak", "mayor=alice;council=grace;budget=schools:3,safety:2;tree=oak>elm>ash"} {
				ch, _, err := parseChoices(m, ballot.Voter{}, choices)
				if err == nil {
					err = ballot.ValidateChoices(m, ch)
				}
				if err != nil {
					t.Errorf("choices %q: %v", choices, err)
				}
			}
		})
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"offset", []string{"--opens", "2031-05-02T07:00:00+02:00"}, "RFC 3339 UTC"},
		{"fraction", []string{"--opens", "2031-05-02T07:00:00.5Z"}, "whole seconds"},
		{"duration opens", []string{"--opens", "1h"}, "--opens"},
		{"word", []string{"--closes", "tomorrow"}, "a duration after --opens"},
		{"closes first", []string{"--opens", "2031-05-02T07:00:00Z", "--closes", "2031-05-02T06:00:00Z"}, "not after --opens"},
		{"negative", []string{"--closes", "-1h"}, "not after --opens"},
		{"threshold", []string{"--threshold", "0"}, "--threshold 0"},
		{"registrar", []string{"--registrar", "not-a-key"}, "--registrar"},
		{"argument", []string{"extra"}, "unexpected argument"},
	} {
		t.Run("refuses/"+tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "election.json")
			args := append([]string{"election", "template", "--key", key, "--registrar", "@" + filepath.Join(dir, "registrar.pub"), "--out", path}, tt.args...)
			out, err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("template %v = %v, want an error containing %q\n%s", tt.args, err, tt.want, out)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused template wrote %s", path)
			}
		})
	}
	// An existing definition is never overwritten.
	path := filepath.Join(dir, "mine.json")
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "election", "template", "--key", key, "--registrar", "@"+filepath.Join(dir, "registrar.pub"), "--out", path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("template over an existing file = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Errorf("template changed an existing file to %q", b)
	}
}

// TestInitTrusteeFlags: election init takes the trustees from their
// public key files, and refuses, before it reaches the board, a malformed
// flag, a file that is not a trustee's public keys, a name or keys given
// twice, and a definition that lists trustees already.
func TestInitTrusteeFlags(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	mustRun(t, "registrar", "keygen", "--out", filepath.Join(dir, "registrar.key"))
	template := filepath.Join(dir, "election.json")
	mustRun(t, "election", "template", "--key", filepath.Join(dir, "official.key"), "--registrar", "@"+filepath.Join(dir, "registrar.pub"), "--out", template)
	files, _ := trusteePubFiles(t, dir, 3)
	listed := filepath.Join(dir, "listed.json")
	def, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	filled, err := definitionTrusteesFor(def, "A="+files[0], "B="+files[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(listed, filled, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.pub.json")
	if err := os.WriteFile(bad, []byte(`{"sign_key":"AAAA"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		definition string
		trustees   []string
		want       []string
	}{
		{"no name", template, []string{files[0]}, []string{"want NAME=FILE"}},
		{"empty name", template, []string{"=" + files[0]}, []string{"want NAME=FILE"}},
		{"no file", template, []string{"Ann="}, []string{"want NAME=FILE"}},
		{"missing file", template, []string{"Ann=" + filepath.Join(dir, "nobody.pub.json")}, []string{"nobody.pub.json", "no such file"}},
		{"not public keys", template, []string{"Ann=" + bad}, []string{"bad.pub.json", "trustee public key", "unchanged"}},
		{"same name", template, []string{"Ann=" + files[0], "Bo=" + files[1], "Ann=" + files[2]}, []string{`the name "Ann"`, "name of its own"}},
		{"same file", template, []string{"Ann=" + files[0], "Bo=" + files[0]}, []string{"the same keys as", "keys of its own"}},
		{"listed already", listed, []string{"Cy=" + files[2]}, []string{"lists its trustees already", "leave \"trustees\" out"}},
		{"bad name", template, []string{"Ann=" + files[0], " Bo =" + files[1]}, []string{"$.trustees[1].name", "the trustees of --trustee, in order"}},
		{"too few for the threshold", template, []string{"Ann=" + files[0]}, []string{"$.threshold", "only 1 trustees"}},
		{"none", template, nil, []string{"$.trustees", "--trustee NAME=FILE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"election", "init", "--key", filepath.Join(dir, "official.key"), "--definition", tt.definition,
				"--board", "http://127.0.0.1:1", "--board-key", "unused"}
			for _, tr := range tt.trustees {
				args = append(args, "--trustee", tr)
			}
			out, err := run(t, args...)
			if err == nil {
				t.Fatalf("init %v went ahead:\n%s", tt.trustees, out)
			}
			var buf strings.Builder
			printError(&buf, err)
			for _, w := range tt.want {
				if !strings.Contains(out+buf.String(), w) {
					t.Errorf("init %v: the refusal does not say %q:\n%s%s", tt.trustees, w, out, buf.String())
				}
			}
		})
	}
}

// definitionTrusteesFor is definitionTrustees for the given --trustee
// values, outside a command.
func definitionTrusteesFor(def []byte, trustees ...string) ([]byte, error) {
	var got []byte
	app := newApp()
	app.Writer, app.ErrWriter = &bytes.Buffer{}, &bytes.Buffer{}
	for _, cmd := range app.Commands {
		if cmd.Name != "election" {
			continue
		}
		for _, sub := range cmd.Subcommands {
			if sub.Name == "init" {
				sub.Action = func(c *cli.Context) (err error) {
					got, err = definitionTrustees(c, def)
					return err
				}
			}
		}
	}
	args := []string{"evote", "election", "init", "--key", "k", "--definition", "d"}
	for _, tr := range trustees {
		args = append(args, "--trustee", tr)
	}
	return got, app.Run(args)
}

// TestInitTrusteesPosted posts a template with three trustees from their
// public key files: the board's definition names them, in order, with
// their keys.
func TestInitTrusteesPosted(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "board", "keygen", "--out", filepath.Join(dir, "board"))
	url, _ := startBoard(t, t.Context(), "--db", filepath.Join(dir, "board.db"), "--init", "--key", filepath.Join(dir, "board", "board.skey"))
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	mustRun(t, "registrar", "keygen", "--out", filepath.Join(dir, "registrar.key"))
	template := filepath.Join(dir, "election.json")
	mustRun(t, "election", "template", "--key", filepath.Join(dir, "official.key"), "--registrar", "@"+filepath.Join(dir, "registrar.pub"), "--out", template)
	files, keys := trusteePubFiles(t, dir, 3)
	names := []string{"Smith, Ann", "Bo Chen", "Cy Diaz"} // a comma splits no name
	args := []string{"election", "init", "--key", filepath.Join(dir, "official.key"), "--definition", template,
		"--board", url, "--board-key", "@" + filepath.Join(dir, "board", "board.vkey")}
	for i, f := range files {
		args = append(args, "--trustee", names[i]+"="+f)
	}
	out := mustRun(t, args...)
	if !strings.Contains(out, "as record 0") {
		t.Fatalf("init printed %q", out)
	}
	m, _ := postedDefinition(t, url, filepath.Join(dir, "board", "board.vkey"))
	if len(m.Trustees) != len(names) {
		t.Fatalf("the posted definition has %d trustees, want %d", len(m.Trustees), len(names))
	}
	for i, tr := range m.Trustees {
		if tr.Name != names[i] || !tr.SignKey.Equal(keys[i].SignKey) || !bytes.Equal(tr.EncKey, keys[i].EncKey) {
			t.Errorf("trustee %d = %q %x %x, want %q %x %x", i+1, tr.Name, tr.SignKey, tr.EncKey, names[i], keys[i].SignKey, keys[i].EncKey)
		}
	}
}

// postedDefinition returns the definition posted as record 0 of the board
// at url, whose verifier key is in the file vkeyFile, and its encoding.
func postedDefinition(t *testing.T, url, vkeyFile string) (*ballot.Manifest, []byte) {
	t.Helper()
	vkey, err := os.ReadFile(vkeyFile)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(url, strings.TrimSpace(string(vkey)), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := cl.Record(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.ParseCanonicalManifest(rec.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return m, rec.Payload
}

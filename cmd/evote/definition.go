package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/ceremony"
)

// The official's definition, before it is posted: `evote election
// template` writes a sample to edit, and `evote election init --trustee`
// fills in the trustees from the public key files they sent.

func electionTemplateCommand() *cli.Command {
	return &cli.Command{
		Name:      "template",
		Usage:     "write a sample election definition to edit: sample contests, your key, the registrar's, a voting window",
		ArgsUsage: " ",
		Description: `Writes a definition (docs/spec/ballot.md) with one contest of each kind,
this official's key (from --key), the registrar's, the voting window and
the threshold, and no trustees: ` + "`evote election init --trustee NAME=FILE …`" + `
adds them from the trustee.pub.json files they send. Edit its id, title and
contests before posting it. For example:

  evote election template --key official.key --registrar @registrar.pub --opens now --closes 24h`,
		Flags:  draftFlags(),
		Action: electionTemplate,
	}
}

// draftFlags are the flags of the commands that write a draft definition
// (template, import): what the official adds to the contests.
func draftFlags() []cli.Flag {
	return []cli.Flag{
		officialKeyFlag(),
		&cli.StringFlag{Name: "registrar", Usage: "the registrar's public `KEY`, or @FILE holding it (the .pub from `evote registrar keygen`)", Required: true},
		&cli.StringFlag{Name: "opens", Usage: "when voting opens: `TIME` in RFC 3339 UTC (2027-05-02T07:00:00Z), or now", Value: "now"},
		&cli.StringFlag{Name: "closes", Usage: "when voting closes: `TIME` in RFC 3339 UTC, or a duration after --opens (12h, 36h30m)", Value: "24h"},
		&cli.IntFlag{Name: "threshold", Usage: "how many trustees it takes to decrypt the tally", Value: 2},
		&cli.StringFlag{Name: "out", Usage: "the definition `FILE` to create, or - for standard output", Value: "election.json"},
	}
}

// draftManifest returns a definition with the official's key, the
// registrar's, the voting window and the threshold of the draftFlags, and
// nothing else.
func draftManifest(c *cli.Context) (*ballot.Manifest, error) {
	key, err := officialKey(c)
	if err != nil {
		return nil, err
	}
	registrar, err := publicKeyArg(c.String("registrar"), "registrar")
	if err != nil {
		return nil, err
	}
	opens, err := parseWindowTime(c.String("opens"), "opens", time.Time{})
	if err != nil {
		return nil, err
	}
	closes, err := parseWindowTime(c.String("closes"), "closes", opens)
	if err != nil {
		return nil, err
	}
	if !closes.After(opens) {
		return nil, fmt.Errorf("--closes %s is not after --opens %s", closes.Format(windowLayout), opens.Format(windowLayout))
	}
	if t := c.Int("threshold"); t < 1 || t > ballot.MaxTrustees {
		return nil, fmt.Errorf("--threshold %d: want 1 to %d trustees", t, ballot.MaxTrustees)
	}
	return &ballot.Manifest{
		Version:   ballot.Version,
		Official:  key.PublicKey(),
		Registrar: registrar,
		Opens:     opens,
		Closes:    closes,
		Threshold: c.Int("threshold"),
	}, nil
}

// writeDraft writes draft definition m, without trustees, to --out,
// indented for editing, and says what is next.
func writeDraft(c *cli.Context, m *ballot.Manifest, edit string) error {
	def, err := indentDefinition(m)
	if err != nil {
		return err
	}
	path := c.String("out")
	if path == "-" {
		_, err := out(c).Write(def)
		return err
	}
	if err := writeNewFile(path, def, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out(c), "wrote %s: voting from %s to %s (UTC), threshold %d, no trustees yet\n",
		path, m.Opens.Format(windowLayout), m.Closes.Format(windowLayout), m.Threshold)
	fmt.Fprintf(out(c), "next: %s, then post it with the trustees' public keys: `evote election init --definition %s --trustee NAME=FILE …`\n", edit, path)
	return nil
}

func electionTemplate(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	m, err := draftManifest(c)
	if err != nil {
		return err
	}
	sampleDefinition(m)
	return writeDraft(c, m, "edit its id, title and contests")
}

// sampleDefinition gives draft definition m a sample id, title and one
// contest of each kind, the ranked one counted by instant-runoff.
func sampleDefinition(m *ballot.Manifest) {
	options := func(titles ...string) []ballot.Option {
		opts := make([]ballot.Option, len(titles))
		for i, t := range titles {
			opts[i] = ballot.Option{ID: strings.ToLower(t), Title: t}
		}
		return opts
	}
	m.ID, m.Title = "sample-election", "Sample election"
	m.Contests = []ballot.Contest{
		{ID: "mayor", Title: "Mayor (pick one)", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1, Options: options("Alice", "Bob", "Carol")},
		{ID: "council", Title: "Council (pick up to 2)", Kind: ballot.KindKOfN, MaxSelections: 2, OptionMax: 1, Options: options("Dan", "Erin", "Frank", "Grace")},
		{ID: "parks", Title: "Parks to renovate (approve any)", Kind: ballot.KindApproval, MaxSelections: 3, OptionMax: 1, Options: options("North", "Lake", "Square")},
		{ID: "budget", Title: "Spread 5 points over the budget", Kind: ballot.KindCumulative, MinSelections: 5, MaxSelections: 5, OptionMax: 3, Options: options("Schools", "Roads", "Safety")},
		{ID: "tree", Title: "Tree for the square (rank up to 3)", Kind: ballot.KindRanked, Method: ballot.MethodIRV, MaxSelections: 3, OptionMax: 3, Options: options("Oak", "Ash", "Elm", "Lime")},
	}
}

// indentDefinition returns definition m's canonical encoding indented
// for editing, each option on one line.
func indentDefinition(m *ballot.Manifest) ([]byte, error) {
	compact, err := m.MarshalCanonical()
	if err != nil {
		return nil, fmt.Errorf("writing the definition: %w", err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("writing the definition: %w", err)
	}
	b.WriteByte('\n')
	return optionLines.ReplaceAll(b.Bytes(), []byte(`{$1, $2}`)), nil
}

// optionLines matches an option of an indented definition, which
// sampleDefinition puts on one line.
var optionLines = regexp.MustCompile(`\{\n\s*("id": "[^"]*"),\n\s*("title": "(?:[^"\\]|\\.)*")\n\s*\}`)

// parseWindowTime parses the --NAME of a voting window: "now", an RFC 3339
// UTC time of whole seconds, or, if after is set, a duration after it.
func parseWindowTime(s, name string, after time.Time) (time.Time, error) {
	if s == "now" {
		return timeNow().UTC().Truncate(time.Second), nil
	}
	if !after.IsZero() {
		if d, err := time.ParseDuration(s); err == nil {
			return after.Add(d.Truncate(time.Second)), nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Location() != time.UTC || t.Nanosecond() != 0 {
		want := "now or an RFC 3339 UTC time of whole seconds, like 2027-05-02T07:00:00Z"
		if !after.IsZero() {
			want += ", or a duration after --opens, like 24h"
		}
		return time.Time{}, fmt.Errorf("--%s %q: want %s", name, s, want)
	}
	return t, nil
}

// publicKeyArg decodes the Ed25519 public key of a flag that holds it in
// base64 or, as @FILE, in a file.
func publicKeyArg(v, flag string) (ed25519.PublicKey, error) {
	s := v
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		s = strings.TrimSpace(string(b))
	}
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, withHint(fmt.Errorf("--%s %q: not an Ed25519 public key in base64", flag, v),
			"give the key `evote %s keygen` printed and wrote to its .pub file, as @FILE", flag)
	}
	return k, nil
}

// publicKeyPath returns where signingKeygen writes the public key of the
// key file path: official.key's in official.pub, other's in other.pub.
func publicKeyPath(path string) string { return strings.TrimSuffix(path, ".key") + ".pub" }

// trusteeFlag returns a new repeatable --trustee flag for election init.
func trusteeFlag() cli.Flag {
	return &cli.GenericFlag{
		Name:  "trustee",
		Usage: "a trustee, as `NAME=FILE`: its name in the definition and the trustee.pub.json it sent (repeatable, in order; the definition then lists no trustees)",
		Value: &repeated{},
	}
}

// repeated is the value of a repeatable flag: every value given, commas
// and all (a StringSliceFlag would split "Smith, Ann" in two).
type repeated []string

// Set adds a value.
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// String returns the values, as flag help shows a default.
func (r *repeated) String() string { return strings.Join(*r, " ") }

// definitionTrustees returns the definition data with the trustees of the
// --trustee flags filled in, or data itself if there is no such flag. It
// refuses a trustee name or a key given twice.
func definitionTrustees(c *cli.Context, data []byte) ([]byte, error) {
	specs, _ := c.Generic("trustee").(*repeated)
	if specs == nil || len(*specs) == 0 {
		return data, nil
	}
	var trustees []ballot.Trustee
	names, keys := map[string]string{}, map[string]string{}
	for _, spec := range *specs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok || name == "" || file == "" {
			return nil, withHint(fmt.Errorf("--trustee %q: want NAME=FILE", spec), "for example --trustee 'Ann Smith=trustee1/trustee.pub.json'")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--trustee %q: %w", spec, err)
		}
		pub, err := ceremony.ParseTrusteePublicKey(bytes.TrimSpace(b))
		if err != nil {
			return nil, withHint(fmt.Errorf("--trustee %q: %s: %w", spec, file, err),
				"use the trustee.pub.json that the trustee's `evote trustee keygen` wrote, unchanged")
		}
		if first, dup := names[name]; dup {
			return nil, fmt.Errorf("--trustee %q: the name %q is also the trustee of --trustee %q: give each trustee a name of its own", spec, name, first)
		}
		names[name] = spec
		for _, k := range [][]byte{pub.SignKey, pub.EncKey} {
			if first, dup := keys[string(k)]; dup {
				return nil, fmt.Errorf("--trustee %q: the same keys as --trustee %q: each trustee needs keys of its own", spec, first)
			}
			keys[string(k)] = spec
		}
		trustees = append(trustees, ballot.Trustee{Name: name, SignKey: pub.SignKey, EncKey: pub.EncKey})
	}
	filled, err := ballot.SetTrustees(data, trustees)
	if err != nil {
		return nil, withHint(err, "with --trustee, leave \"trustees\" out of the definition or empty")
	}
	return filled, nil
}

// definitionHint is the advice for a definition ParseManifest refused.
func definitionHint(c *cli.Context, err error) string {
	var pe *ballot.ParseError
	if specs, _ := c.Generic("trustee").(*repeated); errors.As(err, &pe) {
		for _, p := range pe.Problems {
			if !strings.HasPrefix(p.Path, "$.trustees") {
				continue
			}
			if specs != nil && len(*specs) > 0 {
				return "$.trustees are the trustees of --trustee, in order; fix the definition's other fields in it (docs/spec/ballot.md)"
			}
			return "name the trustees with --trustee NAME=FILE, one for each trustee.pub.json, or list them in the definition (docs/spec/ballot.md)"
		}
	}
	return "fix the definition; its format is in docs/spec/ballot.md"
}

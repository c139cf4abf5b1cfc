package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/interop"
)

// `evote election import` and `export`: definitions in the standard
// formats officials already write (docs/spec/import.md), by package
// interop.

func electionImportCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "write a definition from an ElectionGuard manifest or a NIST ballot definition, to post with `evote election init`",
		ArgsUsage: "FILE",
		Description: `Reads the contests, options, ballot styles and titles (in every language) of
an ElectionGuard 1.0 or 2.1 manifest (--from electionguard) or a NIST SP
1500-20 ballot definition or SP 1500-100 v2 election report (--from nist),
and writes a definition with them and this official's key, the
registrar's, the voting window and the threshold, as ` + "`evote election template`" + `
does: ` + "`evote election init --trustee NAME=FILE …`" + ` adds the trustees and posts
it. What cannot map (a straight-party contest, a ranked contest, a write-in
unless --write-ins count) is refused, each element named by its JSON path;
docs/spec/import.md has every rule. For example:

  evote election import --from electionguard --key official.key \
    --registrar @registrar.pub --opens 2027-05-02T07:00:00Z --closes 12h manifest.json`,
		Flags: append(draftFlags(),
			&cli.StringFlag{Name: "from", Usage: "the file's format: `FORMAT` electionguard or nist", Required: true},
			&cli.StringFlag{Name: "language", Usage: "the `TAG` (BCP 47) of the language of the definition's titles; default the first language of the election's name"},
			&cli.StringFlag{Name: "write-ins", Usage: "what to do with write-in selections: `HOW` refuse, or count (an option counting the voters who mark it, as ElectionGuard 1.0 does)", Value: "refuse"},
		),
		Action: electionImport,
	}
}

func electionImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return withHint(errors.New("want one FILE to import"), "for example: evote election import --from nist --key official.key --registrar @registrar.pub ballot-definition.json (flags before the file)")
	}
	opts := interop.Options{Language: c.String("language")}
	switch c.String("write-ins") {
	case "refuse":
	case "count":
		opts.WriteIns = interop.CountWriteIns
	default:
		return fmt.Errorf("--write-ins %q: want refuse or count", c.String("write-ins"))
	}
	var from func([]byte, interop.Options) (*ballot.Manifest, error)
	switch c.String("from") {
	case "electionguard":
		from = interop.FromElectionGuard
	case "nist":
		from = interop.FromNIST
	default:
		return fmt.Errorf("--from %q: want electionguard or nist", c.String("from"))
	}
	draft, err := draftManifest(c)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(c.Args().First())
	if err != nil {
		return err
	}
	m, err := from(data, opts)
	if err != nil {
		var e *interop.Error
		if errors.As(err, &e) {
			return withHint(fmt.Errorf("%s: %w", c.Args().First(), err), "each element named cannot be an evote definition's (docs/spec/import.md); edit it out of the file, or write the definition by hand from `evote election template`")
		}
		return fmt.Errorf("%s: %w", c.Args().First(), err)
	}
	draft.ID, draft.Title, draft.Language, draft.Translations = m.ID, m.Title, m.Language, m.Translations
	draft.Contests, draft.Styles = m.Contests, m.Styles
	fmt.Fprintf(out(c), "imported %d contests, %d ballot styles, titles in %d languages from %s\n", len(m.Contests), len(m.Styles), max(1, len(m.Languages())), c.Args().First())
	return writeDraft(c, draft, "check its id, title and contests")
}

func electionExportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a definition as a NIST SP 1500-100 v2 election report (JSON)",
		ArgsUsage: " ",
		Description: `Writes the election, its contests (as candidate contests whose candidates are
the options), their titles in every language, and its ballot styles as NIST
SP 1500-100 v2 JSON (docs/spec/import.md §8), which ` + "`evote election import --from nist`" + `
reads back to the same contests, options, styles and titles.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "the `FORMAT`: nist", Value: "nist"},
			&cli.StringFlag{Name: "definition", Usage: "the election definition `FILE` (JSON, see docs/spec/ballot.md)", Required: true},
			&cli.StringFlag{Name: "out", Usage: "the `FILE` to create, or - for standard output", Value: "-"},
		},
		Action: electionExport,
	}
}

func electionExport(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	if c.String("to") != "nist" {
		return fmt.Errorf("--to %q: want nist", c.String("to"))
	}
	data, err := os.ReadFile(c.String("definition"))
	if err != nil {
		return err
	}
	m, err := ballot.ParseManifest(data)
	if err != nil {
		return withHint(err, "fix the definition; its format is in docs/spec/ballot.md")
	}
	report, err := interop.ExportNIST(m, timeNow())
	if err != nil {
		return err
	}
	if path := c.String("out"); path != "-" {
		return writeNewFile(path, report, 0o644)
	}
	_, err = out(c).Write(report)
	return err
}

// Command evote runs every role of an evote election: the bulletin board,
// the election official, the trustees, the voters and the observers.
//
// Each subcommand is a thin layer over the library packages; run
// "evote help" for the list.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is the release of this binary, if set with
// -ldflags "-X main.version=..."; else binaryVersion asks the build info.
var version string

// binaryVersion returns the version of this binary: version if set, else
// the module version the go command stamped into the build (a release tag,
// or a pseudo-version naming the commit), else "devel" with the commit if
// the build info has it.
func binaryVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev + dirty
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		var st *statusError
		if errors.As(err, &st) {
			fmt.Fprintf(os.Stderr, "evote: %s\n", st.msg)
			os.Exit(st.status)
		}
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// statusError ends the command with an exit status other than 1, for an
// outcome that is not an error but must not read as success.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// newApp builds the command tree. Tests run it in-process.
func newApp() *cli.App {
	return &cli.App{
		Name:                 "evote",
		Usage:                "end-to-end verifiable elections",
		Version:              binaryVersion(),
		EnableBashCompletion: true,
		Commands: []*cli.Command{
			versionCommand(),
			verifyCommand(),
			boardCommand(),
			networkCommand(),
			electionCommand(),
			registrarCommand(),
			voterCommand(),
			trusteeCommand(),
			voteCommand(),
			tallyCommand(),
			demoCommand(),
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of this binary",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "evote %s\n", c.App.Version)
			return nil
		},
	}
}

// hintError is an error with advice for the person at the terminal.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint attaches advice to err; printError shows it on its own line.
func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// printError writes err in the "evote: error: …" / "evote: hint: …" form.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "evote: error: %v\n", err)
	var h *hintError
	if errors.As(err, &h) {
		fmt.Fprintf(w, "evote: hint: %s\n", h.hint)
	}
}

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

	"github.com/urfave/cli/v2"
)

// version is the release of this binary; set with -ldflags "-X main.version=...".
var version = "v0.1.0-dev"

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
		Version:              version,
		HideVersion:          true,
		EnableBashCompletion: true,
		Commands: []*cli.Command{
			versionCommand(),
			verifyCommand(),
			boardCommand(),
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
			fmt.Fprintf(c.App.Writer, "evote %s\n", version)
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

package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/progress"
)

// statePath returns the state file of the board database db as --state
// names it: flag itself, db's path with .state appended if flag is empty,
// or none if flag is "off".
func statePath(flag, db string) string {
	switch flag {
	case "":
		return db + ".state"
	case "off":
		return ""
	}
	return flag
}

func boardCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "replay every record of a board database through the election rules, and check its saved state against that replay",
		Description: "Replays the records in --db as a board starting without its state file does: the\n" +
			"hash chain and every election rule (proofs are checked by \"evote verify\"). If the\n" +
			"board saved its state (--state of \"evote board serve\"), checks that the state file\n" +
			"restores to exactly the state the replay reaches after the records it was saved\n" +
			"after. The database may be in use by a running board.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "SQLite database `FILE`", Required: true},
			&cli.StringFlag{Name: "state", Usage: "the board's state `FILE` (default: --db with .state appended; \"off\": do not check one)"},
		},
		Action: boardCheck,
	}
}

func boardCheck(c *cli.Context) error {
	dbPath := c.String("db")
	st, err := sqlite.OpenReadOnly(c.Context, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	path := statePath(c.String("state"), dbPath)
	if path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if c.String("state") != "" {
				return fmt.Errorf("--state %s: %w", path, err)
			}
			fmt.Fprintf(c.App.ErrWriter, "evote: %s has no state file %s; replaying its records only\n", dbPath, path)
			path = ""
		}
	}
	bar := progress.New(c.App.ErrWriter, "check")
	start := time.Now()
	check, err := bulletin.CheckState(c.Context, st, new(election.Tracker).New, path, func(done, total int64) {
		bar.Show(float64(done)/float64(max(total, 1)), fmt.Sprintf("%d of %d records", done, total))
	})
	if err != nil {
		bar.Done("failed")
		return err
	}
	bar.Done(fmt.Sprintf("replayed %d records in %s", check.Records, time.Since(start).Round(100*time.Millisecond)))
	if check.Saved > 0 {
		fmt.Fprintf(c.App.Writer, "%s: %d records hold; the state saved after %d records in %s matches the replay\n", dbPath, check.Records, check.Saved, path)
	} else {
		fmt.Fprintf(c.App.Writer, "%s: %d records hold\n", dbPath, check.Records)
	}
	return nil
}

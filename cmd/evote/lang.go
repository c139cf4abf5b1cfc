package main

import (
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/text/message"

	"github.com/evote/evote/internal/i18n"
)

// langFlag is --lang, the language of the voter's messages.
func langFlag() cli.Flag {
	return &cli.StringFlag{Name: "lang", Usage: "the `LANGUAGE` of the messages: en, fr, de or es (default from $LC_ALL, $LC_MESSAGES or $LANG, else en)"}
}

// say returns the printer of the voter's messages (internal/i18n) in the
// language of --lang, else of the POSIX locale, matched as the voter page
// matches the browser's languages.
func say(c *cli.Context) *message.Printer {
	return i18n.Default.Printer(i18n.Default.Match(voterLanguages(c)...))
}

// voterLanguages returns the voter's language preferences as BCP 47 tags:
// --lang, or the first of $LC_ALL, $LC_MESSAGES and $LANG that is set
// ("fr_CA.UTF-8" becomes "fr-CA"; "C" and "POSIX" name no language).
func voterLanguages(c *cli.Context) []string {
	if l := c.String("lang"); l != "" {
		return []string{l}
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		s := os.Getenv(v)
		if s == "" {
			continue
		}
		s, _, _ = strings.Cut(s, ".")
		s, _, _ = strings.Cut(s, "@")
		if s == "C" || s == "POSIX" {
			return nil
		}
		return []string{strings.ReplaceAll(s, "_", "-")}
	}
	return nil
}

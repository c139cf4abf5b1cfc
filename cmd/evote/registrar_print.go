package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/url"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/evote/evote/ballot"
)

// votingPages returns the addresses of the voting pages to print on the
// voters' cards: urls, each an absolute http or https URL, if given; else
// the voting page of each operator the election's definition m gives an
// address (url) for, so that a voter whose page does not open knows where
// else to vote (docs/spec/replicated-board.md §5.1); else none.
func votingPages(m *ballot.Manifest, urls []string) ([]string, error) {
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, withHint(fmt.Errorf("--vote-url %q is not the web address of a voting page", s), "give an absolute http:// or https:// address, such as https://vote.example.org/")
		}
	}
	if len(urls) > 0 {
		return urls, nil
	}
	var pages []string
	for _, base := range operatorURLs(m) {
		pages = append(pages, base+"/")
	}
	return pages, nil
}

// printableCredentials returns an HTML page, one printed page per voter,
// with the voter's credential as a QR code and as text and the addresses
// of the voting pages where, for a registrar who mails credentials.
// github.com/skip2/go-qrcode draws the codes: QR encoding (Reed–Solomon,
// masking) is not something to write by hand.
func printableCredentials(m *ballot.Manifest, creds []*ballot.Credential, where []string) ([]byte, error) {
	type card struct {
		Voter string
		QR    template.URL
		Text  string
	}
	cards := make([]card, len(creds))
	for i, c := range creds {
		b, err := c.Marshal()
		if err != nil {
			return nil, err
		}
		png, err := qrcode.Encode(string(b), qrcode.Medium, 320)
		if err != nil {
			return nil, fmt.Errorf("QR code of voter %s's credential: %w", c.Voter, err)
		}
		cards[i] = card{Voter: c.Voter, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), Text: string(b)}
	}
	var buf bytes.Buffer
	err := credentialPage.Execute(&buf, struct {
		Title, ID string
		Cards     []card
		Where     []string
	}{m.Title, m.ID, cards, where})
	return buf.Bytes(), err
}

var credentialPage = template.Must(template.New("credentials").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Voter credentials: {{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 0; }
section { page-break-after: always; padding: 2cm; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 9pt; border: 1px solid #888; padding: .5em; }
</style></head><body>
{{range .Cards}}<section>
<h1>{{$.Title}}</h1>
<p>Your voter credential for the election <b>{{$.ID}}</b>, as voter <b>{{.Voter}}</b>.
It lets you cast your ballot. Keep it secret: whoever holds it can vote in your place.</p>
<p><img src="{{.QR}}" width="320" height="320" alt="QR code of the credential of voter {{.Voter}}"></p>
<p>Scan the code, or type the text below, into your voting page or save it as a file for <code>evote vote --credential</code>:</p>
<pre>{{.Text}}</pre>
{{with $.Where}}<p>Your voting page: open {{if gt (len .) 1}}any of these addresses; if one does not open, try the next{{else}}this address{{end}}:</p>
<ul>{{range .}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
</section>
{{end}}</body></html>
`))

package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// labelEscaper escapes a label value of the Prometheus text exposition
// format: backslash, double quote and newline.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// getMetrics serves the board's gauges in the Prometheus text exposition
// format (version 0.0.4), for an operator's monitoring: the log's size,
// the open feeds, the pages of records being sent and, with witnesses, the size a quorum cosigned and each
// witness's latest cosigned size and consecutive failures. It is written
// by hand: six gauges do not warrant a metrics library.
func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	gauge := func(name, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	}
	gauge("evote_board_size", "Records in the board's log.")
	fmt.Fprintf(&b, "evote_board_size %d\n", s.log.Size())
	gauge("evote_board_feeds", "Open websocket feeds.")
	fmt.Fprintf(&b, "evote_board_feeds %d\n", s.gate.slots.inUse())
	gauge("evote_board_pages", "Pages of records (GET /records) being sent.")
	fmt.Fprintf(&b, "evote_board_pages %d\n", s.pages.inUse())
	if s.cfg.Witnesses != nil {
		var cosigned int64
		if c := s.cfg.Witnesses.Checkpoint(); c != nil {
			cosigned = c.Size
		}
		gauge("evote_board_cosigned_size", "Size of the newest checkpoint a quorum of witnesses cosigned (served at /checkpoint).")
		fmt.Fprintf(&b, "evote_board_cosigned_size %d\n", cosigned)
		status := s.cfg.Witnesses.Status()
		gauge("evote_witness_cosigned_size", "Largest size the witness cosigned for this board.")
		for _, st := range status {
			fmt.Fprintf(&b, "evote_witness_cosigned_size{witness=\"%s\"} %d\n", labelEscaper.Replace(st.Name), st.Cosigned)
		}
		gauge("evote_witness_consecutive_failures", "Failed requests to the witness since its last success.")
		for _, st := range status {
			fmt.Fprintf(&b, "evote_witness_consecutive_failures{witness=\"%s\"} %d\n", labelEscaper.Replace(st.Name), st.Failures)
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

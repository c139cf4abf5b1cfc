package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles,
// docs/spec/bulletin.md §8.1): hash tiles at /tile/<L>/<N>[.p/<W>] and
// entry bundles at /tile/entries/<N>[.p/<W>], whose entries are the
// records' leaf data (bulletin.md §3), so that standard tile clients and
// monitors follow the board without evote code. Paths and bundle framing
// are torchwood's implementation of the spec; tile contents are
// x/mod/sumdb/tlog's.

// maxBundleEntry is the largest entry an entry bundle can hold: entries
// are prefixed with a big-endian uint16 length.
const maxBundleEntry = 0xFFFF

func (s *Server) getTile(w http.ResponseWriter, r *http.Request) {
	t, err := torchwood.ParseTilePath(strings.TrimPrefix(r.URL.Path, "/"))
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	// A tile exists once the tree reaches its end: N·256+W hashes at its
	// level, each standing for 256^L records.
	need := (t.N<<t.H + int64(t.W)) << (t.H * max(t.L, 0))
	if size := s.log.Size(); need > size || t.W < 1 {
		s.error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("tile %s is beyond the log's %d records", r.URL.Path, size))
		return
	}
	var data []byte
	if t.L == -1 {
		data, err = s.entryBundle(r, t)
	} else {
		data, err = s.log.ReadTileData(t)
	}
	var big *bundleEntryError
	switch {
	case errors.As(err, &big):
		// Not a fault: the spec has the answer name the record to read instead.
		s.error(w, r, http.StatusInternalServerError, "internal", big.Error())
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(data)
}

// bundleEntryError reports a record too large for an entry bundle.
type bundleEntryError struct {
	index int64
	size  int
}

// Error implements error.
func (e *bundleEntryError) Error() string {
	return fmt.Sprintf("record %d is %d bytes, more than an entry bundle can hold (%d); read it from GET /records/%d", e.index, e.size, maxBundleEntry, e.index)
}

// entryBundle returns the records of entry bundle t, each as its leaf
// data, length-prefixed.
func (s *Server) entryBundle(r *http.Request, t tlog.Tile) ([]byte, error) {
	start := t.N << t.H
	recs, err := s.log.Records(r.Context(), start, start+int64(t.W))
	if err != nil {
		return nil, err
	}
	var out []byte
	for i, enc := range recs {
		rec, err := bulletin.ParseRecord(enc)
		if err != nil {
			return nil, fmt.Errorf("stored record %d: %w", start+int64(i), err)
		}
		entry := rec.LeafData()
		if len(entry) > maxBundleEntry {
			return nil, &bundleEntryError{index: int64(rec.Index), size: len(entry)}
		}
		if out, err = torchwood.AppendTileEntry(out, entry); err != nil {
			return nil, err
		}
	}
	return out, nil
}

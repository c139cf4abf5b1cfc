//go:build !(linux || darwin || freebsd)

package sqlite

import (
	"errors"
	"os"
)

// lockFile does nothing on this system, where this package takes no lock
// (Windows has no flock(2); other Unix systems are untested): two board
// processes on one database are not stopped here.
func lockFile(*os.File) (bool, error) { return true, nil }

// freeSpace cannot tell the free space on this system: GET /readyz then
// skips its disk space check.
func freeSpace(string) (uint64, error) { return 0, errors.ErrUnsupported }

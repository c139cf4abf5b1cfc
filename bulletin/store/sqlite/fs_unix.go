//go:build linux || darwin || freebsd

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f without waiting; it returns
// false if another open file holds it. flock locks belong to the open file
// description: two opens of one file conflict even in one process, and the
// lock goes with the last descriptor closed. They are independent of the
// fcntl(2) locks SQLite takes on the database file itself, which is why
// the lock is on a file of its own.
func lockFile(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// freeSpace returns the bytes of the file system of dir available to an
// unprivileged user (statfs(2) f_bavail × f_bsize).
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

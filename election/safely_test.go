package election

import (
	"strings"
	"testing"
)

func TestSafely(t *testing.T) {
	err := safely(func() error { panic("a bug in the rules") })
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("safely(panic) = %v", err)
	}
}

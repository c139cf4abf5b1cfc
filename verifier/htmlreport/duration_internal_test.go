package htmlreport

import "testing"

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		seconds int64
		want    string
	}{{1, "1 s"}, {30, "30 s"}, {60, "1 min"}, {1800, "30 min"}, {3600, "1 h"}, {43200, "12 h"}, {86400, "1 day"}, {604800, "7 days"}} {
		if got := duration(tt.seconds); got != tt.want {
			t.Errorf("duration(%d) = %q, want %q", tt.seconds, got, tt.want)
		}
	}
}

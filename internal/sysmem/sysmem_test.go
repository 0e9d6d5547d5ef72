package sysmem

import (
	"runtime"
	"testing"
)

func TestTotal(t *testing.T) {
	n := Total()
	if runtime.GOOS != "linux" {
		if n != 0 {
			t.Fatalf("Total() = %d on %s (want 0)", n, runtime.GOOS)
		}
		return
	}
	if n < 64<<20 || n > 1<<50 {
		t.Fatalf("Total() = %d bytes (want a plausible physical memory)", n)
	}
}

package optimizers

import (
	"math"
	"runtime"
	"testing"
)

// TestMuProductsDoNotAllocatePerStep: NAdam's table of μ products grew by
// one append per step, reallocating at steps 2, 3, 5, 9, 17, ... (found by
// counting the allocations of an optimizer step); it now grows ahead, so
// the first 1023 steps allocate once.
func TestMuProductsDoNotAllocatePerStep(t *testing.T) {
	var m muProducts
	m.at(0.9, 0.004, 1)
	// Not testing.AllocsPerRun: its warm-up run would grow the table.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for step := int64(2); step < 1024; step++ {
		m.at(0.9, 0.004, step)
	}
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n > 1 { // 1: the runtime's own, now and then
		t.Fatalf("%d allocations in steps 2..1023", n)
	}
	// The values are still torch's running product, step by step.
	p := 1.0
	for step := int64(1); step <= 3000; step++ {
		p *= 0.9 * (1 - 0.5*math.Pow(0.96, float64(step)*0.004))
		if got := m.at(0.9, 0.004, step); got != p {
			t.Fatalf("P_%d = %v, want %v", step, got, p)
		}
	}
}

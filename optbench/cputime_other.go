//go:build !linux

package optbench

import "time"

var start = time.Now()

// threadCPU falls back to wall time where no per-thread CPU clock is
// wired up (the report says which clock a run used).
func threadCPU() float64 { return time.Since(start).Seconds() }

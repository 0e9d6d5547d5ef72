//go:build race

package graph_test

// sync.Pool (internal/gemm's packing buffers) drops items at random under
// the race detector: allocation counts are not asserted there.
const raceEnabled = true

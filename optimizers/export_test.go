package optimizers

// AllFiniteForTest exposes the pre-check to the benchmarks.
func AllFiniteForTest(x []float32) bool { return allFinite(x) }

package optimizers

import "github.com/descent-ml/descent/graph"

// AllFiniteForTest exposes the pre-check to the benchmarks.
func AllFiniteForTest[T graph.Float](x []T) bool { return allFinite(x) }

// RaceEnabledForTest tells the external tests whether -race is on (it
// allocates inside sync primitives).
const RaceEnabledForTest = raceEnabled

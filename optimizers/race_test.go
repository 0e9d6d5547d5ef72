//go:build race

package optimizers

// raceEnabled: the race detector makes the scalar kernels slow.
const raceEnabled = true

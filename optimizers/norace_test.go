//go:build !race

package optimizers

const raceEnabled = false

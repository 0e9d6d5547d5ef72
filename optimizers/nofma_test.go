//go:build !amd64.v3

package optimizers

const goFusesFloats = false

//go:build !amd64 || purego

package vec

// Scale: no kernels in this build (see scalar_amd64.go).
func Scale[T Float](l Level, z, x []T, c T) int { return 0 }

// Shift: no kernels in this build (see scalar_amd64.go).
func Shift[T Float](l Level, z, x []T, c T) int { return 0 }

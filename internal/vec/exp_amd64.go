//go:build amd64 && !purego

package vec

// expAVX512 writes exp(x[i]) to y[i], i < n (n a multiple of 8), with the
// constants c (expConst).
//
//go:noescape
func expAVX512(y, x *float64, n int, c *float64)

// Code generated from gen_rows.go's kernel list; DO NOT EDIT.

//go:build amd64 && !purego

package vec

//go:noescape
func colSumsAVX512S(acc, x *float32, ld, rows, nvec int)

//go:noescape
func colSumsAVX2S(acc, x *float32, ld, rows, nvec int)

func colSumsS(l Level, acc, x *float32, ld, rows, nvec int) {
	if l == AVX512 {
		colSumsAVX512S(acc, x, ld, rows, nvec)
		return
	}
	colSumsAVX2S(acc, x, ld, rows, nvec)
}

//go:noescape
func colSumsAVX512D(acc, x *float64, ld, rows, nvec int)

//go:noescape
func colSumsAVX2D(acc, x *float64, ld, rows, nvec int)

func colSumsD(l Level, acc, x *float64, ld, rows, nvec int) {
	if l == AVX512 {
		colSumsAVX512D(acc, x, ld, rows, nvec)
		return
	}
	colSumsAVX2D(acc, x, ld, rows, nvec)
}

//go:noescape
func colSqdevAVX512S(acc, x, mu *float32, ld, rows, nvec int)

//go:noescape
func colSqdevAVX2S(acc, x, mu *float32, ld, rows, nvec int)

func colSqdevS(l Level, acc, x, mu *float32, ld, rows, nvec int) {
	if l == AVX512 {
		colSqdevAVX512S(acc, x, mu, ld, rows, nvec)
		return
	}
	colSqdevAVX2S(acc, x, mu, ld, rows, nvec)
}

//go:noescape
func colSqdevAVX512D(acc, x, mu *float64, ld, rows, nvec int)

//go:noescape
func colSqdevAVX2D(acc, x, mu *float64, ld, rows, nvec int)

func colSqdevD(l Level, acc, x, mu *float64, ld, rows, nvec int) {
	if l == AVX512 {
		colSqdevAVX512D(acc, x, mu, ld, rows, nvec)
		return
	}
	colSqdevAVX2D(acc, x, mu, ld, rows, nvec)
}

//go:noescape
func colDotsAVX512S(acc, dy, x, mu *float32, ld, rows, nvec int)

//go:noescape
func colDotsAVX2S(acc, dy, x, mu *float32, ld, rows, nvec int)

func colDotsS(l Level, acc, dy, x, mu *float32, ld, rows, nvec int) {
	if l == AVX512 {
		colDotsAVX512S(acc, dy, x, mu, ld, rows, nvec)
		return
	}
	colDotsAVX2S(acc, dy, x, mu, ld, rows, nvec)
}

//go:noescape
func colDotsAVX512D(acc, dy, x, mu *float64, ld, rows, nvec int)

//go:noescape
func colDotsAVX2D(acc, dy, x, mu *float64, ld, rows, nvec int)

func colDotsD(l Level, acc, dy, x, mu *float64, ld, rows, nvec int) {
	if l == AVX512 {
		colDotsAVX512D(acc, dy, x, mu, ld, rows, nvec)
		return
	}
	colDotsAVX2D(acc, dy, x, mu, ld, rows, nvec)
}

//go:noescape
func rowAffineAVX512S(y, x, s, t *float32, nvec int)

//go:noescape
func rowAffineAVX2S(y, x, s, t *float32, nvec int)

func rowAffineS(l Level, y, x, s, t *float32, nvec int) {
	if l == AVX512 {
		rowAffineAVX512S(y, x, s, t, nvec)
		return
	}
	rowAffineAVX2S(y, x, s, t, nvec)
}

//go:noescape
func rowAffineAVX512D(y, x, s, t *float64, nvec int)

//go:noescape
func rowAffineAVX2D(y, x, s, t *float64, nvec int)

func rowAffineD(l Level, y, x, s, t *float64, nvec int) {
	if l == AVX512 {
		rowAffineAVX512D(y, x, s, t, nvec)
		return
	}
	rowAffineAVX2D(y, x, s, t, nvec)
}

//go:noescape
func rowScaleAVX512S(y, x, a *float32, nvec int)

//go:noescape
func rowScaleAVX2S(y, x, a *float32, nvec int)

func rowScaleS(l Level, y, x, a *float32, nvec int) {
	if l == AVX512 {
		rowScaleAVX512S(y, x, a, nvec)
		return
	}
	rowScaleAVX2S(y, x, a, nvec)
}

//go:noescape
func rowScaleAVX512D(y, x, a *float64, nvec int)

//go:noescape
func rowScaleAVX2D(y, x, a *float64, nvec int)

func rowScaleD(l Level, y, x, a *float64, nvec int) {
	if l == AVX512 {
		rowScaleAVX512D(y, x, a, nvec)
		return
	}
	rowScaleAVX2D(y, x, a, nvec)
}

//go:noescape
func rowBndxAVX512S(dx, dy, x, mu, a, b, k *float32, nvec int)

//go:noescape
func rowBndxAVX2S(dx, dy, x, mu, a, b, k *float32, nvec int)

func rowBndxS(l Level, dx, dy, x, mu, a, b, k *float32, nvec int) {
	if l == AVX512 {
		rowBndxAVX512S(dx, dy, x, mu, a, b, k, nvec)
		return
	}
	rowBndxAVX2S(dx, dy, x, mu, a, b, k, nvec)
}

//go:noescape
func rowBndxAVX512D(dx, dy, x, mu, a, b, k *float64, nvec int)

//go:noescape
func rowBndxAVX2D(dx, dy, x, mu, a, b, k *float64, nvec int)

func rowBndxD(l Level, dx, dy, x, mu, a, b, k *float64, nvec int) {
	if l == AVX512 {
		rowBndxAVX512D(dx, dy, x, mu, a, b, k, nvec)
		return
	}
	rowBndxAVX2D(dx, dy, x, mu, a, b, k, nvec)
}

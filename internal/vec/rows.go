package vec

import "unsafe"

// Kernels of batch norm on [N, C] tensors (ops/channel.go): sums over the
// rows of each column, and maps over a row with per-column coefficients,
// vectorised along the columns. Each processes the leading columns that
// fill whole vectors and returns how many; the caller does the rest with
// its scalar loop. Per column they compute the scalar loops' operations in
// the same order (no FMA): the same bits (rows_test.go).

// ColSums sets acc[c] = Σ_r x[r·ld + c] over rows rows (r < rows), four
// rows at a time as ((x0 + x1) + (x2 + x3)) then the rest one by one, for
// the leading whole vectors of columns c < len(acc).
func ColSums[T Float](l Level, acc, x []T, ld, rows int) int {
	l, n := bulk[T](l, len(acc))
	if n == 0 || rows <= 0 {
		return 0
	}
	_ = x[(rows-1)*ld+n-1]
	if is64[T]() {
		colSumsD(l, f64(acc), f64(x), ld, rows, n/lanes[T](l))
	} else {
		colSumsS(l, f32(acc), f32(x), ld, rows, n/lanes[T](l))
	}
	return n
}

// ColSqDev is ColSums of (x - mu[c])².
func ColSqDev[T Float](l Level, acc, x, mu []T, ld, rows int) int {
	l, n := bulk[T](l, len(acc))
	if n == 0 || rows <= 0 {
		return 0
	}
	_, _ = x[(rows-1)*ld+n-1], mu[n-1]
	if is64[T]() {
		colSqdevD(l, f64(acc), f64(x), f64(mu), ld, rows, n/lanes[T](l))
	} else {
		colSqdevS(l, f32(acc), f32(x), f32(mu), ld, rows, n/lanes[T](l))
	}
	return n
}

// ColDots is ColSums of dy·(x - mu[c]).
func ColDots[T Float](l Level, acc, dy, x, mu []T, ld, rows int) int {
	l, n := bulk[T](l, len(acc))
	if n == 0 || rows <= 0 {
		return 0
	}
	_, _, _ = x[(rows-1)*ld+n-1], dy[(rows-1)*ld+n-1], mu[n-1]
	if is64[T]() {
		colDotsD(l, f64(acc), f64(dy), f64(x), f64(mu), ld, rows, n/lanes[T](l))
	} else {
		colDotsS(l, f32(acc), f32(dy), f32(x), f32(mu), ld, rows, n/lanes[T](l))
	}
	return n
}

// RowAffine sets y[c] = x[c]·s[c] + t[c] for the leading whole vectors of
// y.
func RowAffine[T Float](l Level, y, x, s, t []T) int {
	l, n := bulk[T](l, len(y))
	if n == 0 {
		return 0
	}
	_, _, _ = x[n-1], s[n-1], t[n-1]
	if is64[T]() {
		rowAffineD(l, f64(y), f64(x), f64(s), f64(t), n/lanes[T](l))
	} else {
		rowAffineS(l, f32(y), f32(x), f32(s), f32(t), n/lanes[T](l))
	}
	return n
}

// RowScale sets y[c] = x[c]·a[c] for the leading whole vectors of y.
func RowScale[T Float](l Level, y, x, a []T) int {
	l, n := bulk[T](l, len(y))
	if n == 0 {
		return 0
	}
	_, _ = x[n-1], a[n-1]
	if is64[T]() {
		rowScaleD(l, f64(y), f64(x), f64(a), n/lanes[T](l))
	} else {
		rowScaleS(l, f32(y), f32(x), f32(a), n/lanes[T](l))
	}
	return n
}

// RowBNDx sets dx[c] = (a[c]·dy[c] + b[c]·(x[c] - mu[c])) + k[c] for the
// leading whole vectors of dx.
func RowBNDx[T Float](l Level, dx, dy, x, mu, a, b, k []T) int {
	l, n := bulk[T](l, len(dx))
	if n == 0 {
		return 0
	}
	_, _, _, _, _, _ = dy[n-1], x[n-1], mu[n-1], a[n-1], b[n-1], k[n-1]
	if is64[T]() {
		rowBndxD(l, f64(dx), f64(dy), f64(x), f64(mu), f64(a), f64(b), f64(k), n/lanes[T](l))
	} else {
		rowBndxS(l, f32(dx), f32(dy), f32(x), f32(mu), f32(a), f32(b), f32(k), n/lanes[T](l))
	}
	return n
}

// lanes returns the elements per vector of level l (AVX2 or AVX512).
func lanes[T Float](l Level) int {
	if l == AVX512 {
		return 64 / int(unsafe.Sizeof(T(0)))
	}
	return 32 / int(unsafe.Sizeof(T(0)))
}

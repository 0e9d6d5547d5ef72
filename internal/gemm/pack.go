package gemm

// Packing routines. A packed panel is a sequence of slivers of width w (the
// kernel's mr for op(A), nr for op(B)); sliver s holds, for each p in
// [0, kb), the w elements of index s*w..s*w+w-1 along the other dimension,
// contiguously, zero-padded past the matrix edge. Transposition is absorbed
// here: the kernels only ever see packed slivers.
//
// These are the portable versions (AVX2 and generic kernels); the AVX-512
// kernels use the assembly versions in dispatch_amd64.go. Fixed-size array
// copies (*[n]T) keep the inner loops free of per-element bounds checks.

// packN packs src[r0+i][c0+p] for i < rows, p < cols into dst[s*w*cols+p*w+i%w]
// (s = i/w): each sliver gathers w rows of src. Used for op(A) = A and op(B) = Bᵀ.
func packN[T float](dst, src []T, ld, r0, c0, rows, cols, w int) {
	for s := 0; s*w < rows; s++ {
		d := dst[s*w*cols : (s+1)*w*cols]
		nr := min(w, rows-s*w)
		base := (r0+s*w)*ld + c0
		row := func(i int, n int) []T { return src[base+i*ld:][:n:n] }
		i := 0
		for ; i+8 <= nr; i += 8 {
			s0 := row(i, cols)
			s1, s2, s3 := row(i+1, len(s0)), row(i+2, len(s0)), row(i+3, len(s0))
			s4, s5, s6, s7 := row(i+4, len(s0)), row(i+5, len(s0)), row(i+6, len(s0)), row(i+7, len(s0))
			dd := d[i:]
			for p := range s0 {
				q := (*[8]T)(dd[p*w:])
				q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7] = s0[p], s1[p], s2[p], s3[p], s4[p], s5[p], s6[p], s7[p]
			}
		}
		for ; i+4 <= nr; i += 4 {
			s0 := row(i, cols)
			s1, s2, s3 := row(i+1, len(s0)), row(i+2, len(s0)), row(i+3, len(s0))
			dd := d[i:]
			for p := range s0 {
				q := (*[4]T)(dd[p*w:])
				q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; i+2 <= nr; i += 2 {
			s0 := row(i, cols)
			s1 := row(i+1, len(s0))
			dd := d[i:]
			for p := range s0 {
				q := (*[2]T)(dd[p*w:])
				q[0], q[1] = s0[p], s1[p]
			}
		}
		for ; i < nr; i++ {
			for p, v := range row(i, cols) {
				d[p*w+i] = v
			}
		}
		if nr < w {
			for p := 0; p < cols; p++ {
				clear(d[p*w+nr : p*w+w])
			}
		}
	}
}

// packT packs src[r0+p][c0+j] for p < rows, j < cols into dst[s*w*rows+p*w+j%w]
// (s = j/w): each sliver copies w-wide pieces of rows of src. Used for
// op(A) = Aᵀ and op(B) = B.
func packT[T float](dst, src []T, ld, r0, c0, rows, cols, w int) {
	for s := 0; s*w < cols; s++ {
		d := dst[s*w*rows : (s+1)*w*rows]
		nc := min(w, cols-s*w)
		base := r0*ld + c0 + s*w
		if nc == w && copyFixed(d, src[base:], ld, rows, w) {
			continue
		}
		for p := 0; p < rows; p++ {
			q := d[p*w : p*w+w]
			copy(q, src[base+p*ld:][:nc])
			clear(q[nc:])
		}
	}
}

// copyFixed copies rows pieces of w elements, src[p*ld:][:w] to d[p*w:],
// for the sliver widths of the kernels; false if w is not one of them.
func copyFixed[T float](d, src []T, ld, rows, w int) bool {
	switch w {
	case 4:
		for p := 0; p < rows; p++ {
			*(*[4]T)(d[p*4:]) = *(*[4]T)(src[p*ld:])
		}
	case 6:
		for p := 0; p < rows; p++ {
			*(*[6]T)(d[p*6:]) = *(*[6]T)(src[p*ld:])
		}
	case 8:
		for p := 0; p < rows; p++ {
			*(*[8]T)(d[p*8:]) = *(*[8]T)(src[p*ld:])
		}
	case 12:
		for p := 0; p < rows; p++ {
			*(*[12]T)(d[p*12:]) = *(*[12]T)(src[p*ld:])
		}
	case 16:
		for p := 0; p < rows; p++ {
			*(*[16]T)(d[p*16:]) = *(*[16]T)(src[p*ld:])
		}
	case 32:
		for p := 0; p < rows; p++ {
			*(*[32]T)(d[p*32:]) = *(*[32]T)(src[p*ld:])
		}
	default:
		return false
	}
	return true
}

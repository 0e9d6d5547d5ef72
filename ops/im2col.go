package ops

import "unsafe"

// geom is the geometry of a 2-D sliding window over one image [C, H, W]:
// kernel kh×kw, stride sh×sw, zero padding ph×pw on each side, output
// oh×ow = floor((H + 2p - k)/s) + 1 per dimension (PyTorch's, ceil_mode
// false).
type geom struct {
	c, h, w int
	kh, kw  int
	sh, sw  int
	ph, pw  int
	oh, ow  int
}

func newGeom(c, h, w int, kernel, stride, pad HW) geom {
	g := geom{c: c, h: h, w: w, kh: kernel[0], kw: kernel[1], sh: stride[0], sw: stride[1], ph: pad[0], pw: pad[1]}
	g.oh = (h+2*g.ph-g.kh)/g.sh + 1
	g.ow = (w+2*g.pw-g.kw)/g.sw + 1
	return g
}

// in and out are the sizes of one input and one output plane; k the
// number of rows of the column matrix (C·kh·kw).
func (g geom) in() int  { return g.h * g.w }
func (g geom) out() int { return g.oh * g.ow }
func (g geom) k() int   { return g.c * g.kh * g.kw }

// identity reports whether the column matrix is the image itself
// (a 1×1 kernel, stride 1, no padding).
func (g geom) identity() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0
}

// wp is the row stride of a padded plane; padded its size, 0 without
// padding (im2col and col2im then work on the image's planes directly).
func (g geom) wp() int { return g.w + 2*g.pw }
func (g geom) padded() int {
	if g.ph == 0 && g.pw == 0 {
		return 0
	}
	return (g.h + 2*g.ph) * g.wp()
}

// im2col and col2im work on one zero-padded plane at a time (the image's
// own plane without padding): row (c, ki, kj) of the column matrix takes,
// for output row i, the ow values of padded row i·sh+ki from column kj on
// (every sw-th one), with no bounds to test per value. With stride 1 in
// width that is a block of oh rows of ow values, copied by copyRows with
// fixed-size moves: the column matrices of small images are mostly rows
// of 10 to 30 values, for which the memmove and memclr calls per row of
// the previous version cost more than the copies (im2col of 32×14×14,
// 5×5: 51 µs, now 24 µs). col2im adds the rows kj to kj+4 of a (c, ki)
// together before adding them to the plane (addRows5, addRows3), as they
// land on the same padded row shifted by one: one load and store of the
// plane per five values (76 µs, now 31 µs).

// padBuf is the padded plane of im2col. Only its interior is ever
// written, so its border stays zero between calls; it is cleared when the
// geometry or the element type changes.
type padBuf struct {
	s   scratch
	key [2]geom // the geometry its border is zero for; key[1].c is the element size
}

// padPlane returns im2col's padded plane for g (nil without padding).
func padPlane[T Float](p *padBuf, g geom) []T {
	n := g.padded()
	if n == 0 {
		return nil
	}
	var z T
	key := [2]geom{g, {c: int(unsafe.Sizeof(z))}}
	b := buf[T](&p.s, n)
	if p.key != key {
		clear(b)
		p.key = key
	}
	return b
}

// fillPad copies plane (H×W) into the interior of pad and returns pad,
// or returns plane itself when pad is nil (no padding).
func fillPad[T Float](pad, plane []T, g geom) []T {
	if pad == nil {
		return plane
	}
	copyRows(pad[g.ph*g.wp()+g.pw:], g.wp(), plane, g.w, g.w, g.h)
	return pad
}

// im2col writes the column matrix of image x [C, H, W] into col, row
// (c, ki, kj) at col[((c·kh+ki)·kw+kj)·ld:][:oh·ow]: x[c, i·sh-ph+ki,
// j·sw-pw+kj] for every output pixel (i, j), 0 in the padding. pad is
// padPlane's buffer (nil without padding). A row stride ld larger than
// oh·ow puts the columns of several images side by side.
func im2col[T Float](col []T, ld int, x []T, g geom, pad []T) {
	P, wp := g.out(), g.w
	if pad != nil {
		wp = g.wp()
	}
	for c := 0; c < g.c; c++ {
		plane := fillPad(pad, x[c*g.in():][:g.in()], g)
		if g.identity() {
			copy(col[c*ld:][:P], plane)
			continue
		}
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				row, src := col[((c*g.kh+ki)*g.kw+kj)*ld:][:P], plane[ki*wp+kj:]
				if g.sw == 1 {
					copyRows(row, g.ow, src, g.sh*wp, g.ow, g.oh)
					continue
				}
				for i := 0; i < g.oh; i++ {
					dst, src := row[i*g.ow:][:g.ow], src[i*g.sh*wp:][:(g.ow-1)*g.sw+1]
					for j := range dst {
						dst[j] = src[j*g.sw]
					}
				}
			}
		}
	}
}

// col2im writes into image x [C, H, W] the sum of the column matrix col
// (rows of stride ld, as im2col) over the windows (the adjoint of
// im2col). acc is scratch for one padded plane (g.padded() values; nil
// without padding, when the sums go to x's planes directly).
func col2im[T Float](x, col []T, ld int, g geom, acc []T) {
	P, wp := g.out(), g.w
	if acc != nil {
		wp = g.wp()
	}
	for c := 0; c < g.c; c++ {
		plane := x[c*g.in():][:g.in()]
		if g.identity() {
			copy(plane, col[c*ld:][:P])
			continue
		}
		a := acc
		if a == nil {
			a = plane
		}
		clear(a)
		for ki := 0; ki < g.kh; ki++ {
			r := col[(c*g.kh+ki)*g.kw*ld:]
			if g.sw == 1 {
				// Rows kj, kj+1, ... add to the same destination row
				// shifted by one: sum them first (addRows5, addRows3), one
				// store per destination value instead of five or three.
				for kj := 0; kj < g.kw; {
					dst := a[ki*wp+kj:]
					switch {
					case g.kw-kj >= 5 && g.ow >= 4:
						addRows5(dst, g.sh*wp, r[kj*ld:], ld, g.ow, g.oh)
						kj += 5
					case g.kw-kj >= 3 && g.ow >= 2:
						addRows3(dst, g.sh*wp, r[kj*ld:][:P], r[(kj+1)*ld:][:P], r[(kj+2)*ld:][:P], g.ow, g.oh)
						kj += 3
					default:
						addRows(dst, g.sh*wp, r[kj*ld:][:P], g.ow, g.oh)
						kj++
					}
				}
				continue
			}
			for kj := 0; kj < g.kw; kj++ {
				row, dst := r[kj*ld:][:P], a[ki*wp+kj:]
				for i := 0; i < g.oh; i++ {
					src, dst := row[i*g.ow:][:g.ow], dst[i*g.sh*wp:][:(g.ow-1)*g.sw+1]
					for j, v := range src {
						dst[j*g.sw] += v
					}
				}
			}
		}
		if acc != nil {
			copyRows(plane, g.w, acc[g.ph*wp+g.pw:], wp, g.w, g.h)
		}
	}
}

// copyRows copies rows blocks of n values, src[r·ss:][:n] to
// dst[r·ds:][:n] for r < rows; dst and src must not overlap. The bounds
// are checked once; the rows are copied by copyBlock.
func copyRows[T Float](dst []T, ds int, src []T, ss, n, rows int) {
	if n <= 0 || rows <= 0 {
		return
	}
	_, _ = dst[(rows-1)*ds+n-1], src[(rows-1)*ss+n-1]
	var z T
	sz := unsafe.Sizeof(z)
	copyBlock(unsafe.Pointer(unsafe.SliceData(dst)), uintptr(ds)*sz, unsafe.Pointer(unsafe.SliceData(src)), uintptr(ss)*sz, uintptr(n)*sz, rows)
}

// copyBlock copies rows blocks of n >= 4 bytes from s (row stride ss) to
// d (row stride ds) with 16-byte moves, the last one of a row
// overlapping the one before (8- and 4-byte moves for short rows;
// memmove for long ones). Go copies a [16]byte with one SSE load and
// store, but a [32]byte or a short copy() through a call to memmove. Rows
// of up to 64 bytes, the common case, get straight-line code.
func copyBlock(d0 unsafe.Pointer, ds uintptr, s0 unsafe.Pointer, ss, n uintptr, rows int) {
	type v16 = [16]byte
	switch {
	case n > 256:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			copy(unsafe.Slice((*byte)(d), n), unsafe.Slice((*byte)(s), n))
		}
	case n > 64:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			for i := uintptr(0); i < n-16; i += 16 {
				*(*v16)(unsafe.Add(d, i)) = *(*v16)(unsafe.Add(s, i))
			}
			*(*v16)(unsafe.Add(d, n-16)) = *(*v16)(unsafe.Add(s, n-16))
		}
	case n > 48:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			*(*v16)(d) = *(*v16)(s)
			*(*v16)(unsafe.Add(d, 16)) = *(*v16)(unsafe.Add(s, 16))
			*(*v16)(unsafe.Add(d, 32)) = *(*v16)(unsafe.Add(s, 32))
			*(*v16)(unsafe.Add(d, n-16)) = *(*v16)(unsafe.Add(s, n-16))
		}
	case n > 32:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			*(*v16)(d) = *(*v16)(s)
			*(*v16)(unsafe.Add(d, 16)) = *(*v16)(unsafe.Add(s, 16))
			*(*v16)(unsafe.Add(d, n-16)) = *(*v16)(unsafe.Add(s, n-16))
		}
	case n >= 16:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			*(*v16)(d) = *(*v16)(s)
			*(*v16)(unsafe.Add(d, n-16)) = *(*v16)(unsafe.Add(s, n-16))
		}
	case n >= 8:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			*(*[8]byte)(d) = *(*[8]byte)(s)
			*(*[8]byte)(unsafe.Add(d, n-8)) = *(*[8]byte)(unsafe.Add(s, n-8))
		}
	default:
		for r := range uintptr(rows) {
			d, s := unsafe.Add(d0, r*ds), unsafe.Add(s0, r*ss)
			*(*[4]byte)(d) = *(*[4]byte)(s)
			*(*[4]byte)(unsafe.Add(d, n-4)) = *(*[4]byte)(unsafe.Add(s, n-4))
		}
	}
}

// addRows adds the rows blocks of n values of src, stored one after the
// other, to dst[r·ds:][:n] for r < rows (the bounds are checked once).
func addRows[T Float](dst []T, ds int, src []T, n, rows int) {
	if n <= 0 || rows <= 0 {
		return
	}
	_, _ = dst[(rows-1)*ds+n-1], src[rows*n-1]
	var z T
	sz := unsafe.Sizeof(z)
	d0, s0 := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	for r := range uintptr(rows) {
		d, s := unsafe.Add(d0, r*uintptr(ds)*sz), unsafe.Add(s0, r*uintptr(n)*sz)
		i := uintptr(0)
		for ; i+4 <= uintptr(n); i += 4 {
			a, b := (*[4]T)(unsafe.Add(d, i*sz)), (*[4]T)(unsafe.Add(s, i*sz))
			a[0] += b[0]
			a[1] += b[1]
			a[2] += b[2]
			a[3] += b[3]
		}
		for ; i < uintptr(n); i++ {
			*(*T)(unsafe.Add(d, i*sz)) += *(*T)(unsafe.Add(s, i*sz))
		}
	}
}

// addRows3 adds three rows blocks (as addRows) to dst, each shifted one
// value right of the one before: dst[r·ds+t] += a[r·n+t] + b[r·n+t-1] +
// c[r·n+t-2] for t < n+2, terms outside [0, n) omitted. n >= 2.
func addRows3[T Float](dst []T, ds int, a, b, c []T, n, rows int) {
	if n < 2 || rows <= 0 {
		return
	}
	_, _, _, _ = dst[(rows-1)*ds+n+1], a[rows*n-1], b[rows*n-1], c[rows*n-1]
	var z T
	sz := unsafe.Sizeof(z)
	d0, a0, b0, c0 := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b)), unsafe.Pointer(unsafe.SliceData(c))
	at := func(p unsafe.Pointer, i uintptr) *T { return (*T)(unsafe.Add(p, i*sz)) }
	m := uintptr(n)
	for r := range uintptr(rows) {
		d, pa, pb, pc := unsafe.Add(d0, r*uintptr(ds)*sz), unsafe.Add(a0, r*m*sz), unsafe.Add(b0, r*m*sz), unsafe.Add(c0, r*m*sz)
		*at(d, 0) += *at(pa, 0)
		*at(d, 1) += *at(pa, 1) + *at(pb, 0)
		for t := uintptr(2); t < m; t++ {
			*at(d, t) += *at(pa, t) + *at(pb, t-1) + *at(pc, t-2)
		}
		*at(d, m) += *at(pb, m-1) + *at(pc, m-2)
		*at(d, m+1) += *at(pc, m-1)
	}
}

// addRows5 is addRows3 for five rows blocks, the i-th at src[i·ld:]:
// dst[r·ds+t] += Σᵢ src[i·ld + r·n + t-i]. n >= 4.
func addRows5[T Float](dst []T, ds int, src []T, ld, n, rows int) {
	if n < 4 || rows <= 0 {
		return
	}
	_, _ = dst[(rows-1)*ds+n+3], src[4*ld+rows*n-1]
	var z T
	sz := unsafe.Sizeof(z)
	d0, s0 := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	l := uintptr(ld) * sz
	at := func(p unsafe.Pointer, i uintptr) *T { return (*T)(unsafe.Add(p, i*sz)) }
	m := uintptr(n)
	for r := range uintptr(rows) {
		d, pa := unsafe.Add(d0, r*uintptr(ds)*sz), unsafe.Add(s0, r*m*sz)
		pb, pc, pe, pf := unsafe.Add(pa, l), unsafe.Add(pa, 2*l), unsafe.Add(pa, 3*l), unsafe.Add(pa, 4*l)
		*at(d, 0) += *at(pa, 0)
		*at(d, 1) += *at(pa, 1) + *at(pb, 0)
		*at(d, 2) += *at(pa, 2) + *at(pb, 1) + *at(pc, 0)
		*at(d, 3) += *at(pa, 3) + *at(pb, 2) + *at(pc, 1) + *at(pe, 0)
		for t := uintptr(4); t < m; t++ {
			*at(d, t) += (*at(pa, t) + *at(pb, t-1)) + (*at(pc, t-2) + *at(pe, t-3)) + *at(pf, t-4)
		}
		*at(d, m) += *at(pb, m-1) + *at(pc, m-2) + *at(pe, m-3) + *at(pf, m-4)
		*at(d, m+1) += *at(pc, m-1) + *at(pe, m-2) + *at(pf, m-3)
		*at(d, m+2) += *at(pe, m-1) + *at(pf, m-2)
		*at(d, m+3) += *at(pf, m-1)
	}
}

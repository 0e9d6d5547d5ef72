package ops

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

// span returns the output columns [lo, hi) whose input column
// ow·sw - pw + kj lies inside the image, for stride 1.
func (g geom) span(kj int) (lo, hi int) {
	lo = max(0, g.pw-kj)
	hi = min(g.ow, g.w+g.pw-kj)
	return lo, max(lo, hi)
}

// im2col writes the column matrix of image x [C, H, W] into col
// [C·kh·kw, oh·ow]: row (c, ki, kj) holds x[c, oh·sh-ph+ki, ow·sw-pw+kj]
// for every output pixel, 0 in the padding.
func im2col[T Float](col, x []T, g geom) {
	n := g.out()
	for c := 0; c < g.c; c++ {
		plane := x[c*g.in():][:g.in()]
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				row := col[((c*g.kh+ki)*g.kw+kj)*n:][:n]
				lo, hi := g.span(kj)
				for oh := 0; oh < g.oh; oh++ {
					dst := row[oh*g.ow:][:g.ow]
					ih := oh*g.sh - g.ph + ki
					if ih < 0 || ih >= g.h {
						clear(dst)
						continue
					}
					src := plane[ih*g.w:][:g.w]
					if g.sw == 1 {
						clear(dst[:lo])
						if lo < hi {
							copy(dst[lo:hi], src[lo-g.pw+kj:])
						}
						clear(dst[hi:])
						continue
					}
					for ow := range dst {
						iw := ow*g.sw - g.pw + kj
						if iw >= 0 && iw < g.w {
							dst[ow] = src[iw]
						} else {
							dst[ow] = 0
						}
					}
				}
			}
		}
	}
}

// col2im adds the column matrix col [C·kh·kw, oh·ow] back into image x
// [C, H, W] (the adjoint of im2col); the caller zeroes x first.
func col2im[T Float](x, col []T, g geom) {
	n := g.out()
	for c := 0; c < g.c; c++ {
		plane := x[c*g.in():][:g.in()]
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				row := col[((c*g.kh+ki)*g.kw+kj)*n:][:n]
				lo, hi := g.span(kj)
				for oh := 0; oh < g.oh; oh++ {
					ih := oh*g.sh - g.ph + ki
					if ih < 0 || ih >= g.h {
						continue
					}
					src := row[oh*g.ow:][:g.ow]
					dst := plane[ih*g.w:][:g.w]
					if g.sw == 1 {
						if lo == hi {
							continue
						}
						d := dst[lo-g.pw+kj:][:hi-lo]
						for i, v := range src[lo:hi] {
							d[i] += v
						}
						continue
					}
					for ow, v := range src {
						iw := ow*g.sw - g.pw + kj
						if iw >= 0 && iw < g.w {
							dst[iw] += v
						}
					}
				}
			}
		}
	}
}

package ops

import "github.com/descent-ml/descent/internal/vec"

// simd is the level of internal/vec's kernels batch norm uses on [N, C]
// tensors: the best this machine has.
var simd = vec.Best()

// Per-channel kernels of batch norm on tensors viewed as [N, C, S]
// (S = H·W, or 1 for [N, C]). Reductions accumulate in T over blocks (of
// at most planeBlock values of a plane, or rowBlock rows) and in float64
// across blocks: in float32 the error of a block stays near 1e-6
// relative, as with PyTorch's vectorised float32 sums. Rows (S = 1) run
// along the channels, four rows at a time, with a T accumulator per
// channel in tmp (2C values): internal/vec's kernels (ColSums, RowAffine,
// ...) for the leading whole vectors of channels, computing per channel
// the scalar loops' operations in the same order, and the scalar loops
// for the rest. Planes (S > 1) run along a channel's contiguous H·W
// values with four accumulators. Maps compute in T with per-channel
// coefficients already in T.

const (
	planeBlock = 256
	rowBlock   = 64
)

// rows returns w values of the four rows n..n+3 of a [N, C] tensor x
// (from the start of x, which may begin at a channel offset).
func rows[T Float](x []T, n, c, w int) (r0, r1, r2, r3 []T) {
	return x[n*c:][:w], x[(n+1)*c:][:w], x[(n+2)*c:][:w], x[(n+3)*c:][:w]
}

// channelSums sets out[c] = Σ x[·, c, ·] for the channels c0..c1-1
// (each channel's sum is independent of the range: threads split them).
func channelSums[T Float](out []float64, x []T, l layout, tmp []T, c0, c1 int) {
	out = out[c0:c1]
	clear(out)
	if l.s == 1 {
		acc := tmp[c0:c1]
		for n0 := 0; n0 < l.n; n0 += rowBlock {
			n1 := min(n0+rowBlock, l.n)
			k := vec.ColSums(simd, acc, x[n0*l.c+c0:], l.c, n1-n0) // the leading whole vectors
			rest, ck := acc[k:], c0+k
			clear(rest)
			n := n0
			for ; n+4 <= n1; n += 4 {
				r0, r1, r2, r3 := rows(x[ck:], n, l.c, len(rest))
				for c := range rest {
					rest[c] += (r0[c] + r1[c]) + (r2[c] + r3[c])
				}
			}
			for ; n < n1; n++ {
				for c, v := range x[n*l.c+ck:][:len(rest)] {
					rest[c] += v
				}
			}
			for c, v := range acc {
				out[c] += float64(v)
			}
		}
		return
	}
	for c := range out {
		for n := 0; n < l.n; n++ {
			out[c] += planeSum(x[(n*l.c+c0+c)*l.s:][:l.s])
		}
	}
}

// planeSum returns Σ p.
func planeSum[T Float](p []T) float64 {
	var s float64
	for len(p) > 0 {
		q := p[:min(len(p), planeBlock)]
		p = p[len(q):]
		var a0, a1, a2, a3 T
		i := 0
		for ; i+4 <= len(q); i += 4 {
			v := q[i : i+4 : i+4]
			a0 += v[0]
			a1 += v[1]
			a2 += v[2]
			a3 += v[3]
		}
		for ; i < len(q); i++ {
			a0 += q[i]
		}
		s += float64((a0 + a1) + (a2 + a3))
	}
	return s
}

// channelSqDev sets out[c] = Σ (x[·, c, ·] - mean[c])² for c0 <= c < c1.
func channelSqDev[T Float](out []float64, x []T, mean []float64, l layout, tmp []T, c0, c1 int) {
	out = out[c0:c1]
	clear(out)
	if l.s == 1 {
		mu, acc := tmp[c0:c1], tmp[l.c+c0:l.c+c1]
		for c, m := range mean[c0:c1] {
			mu[c] = T(m)
		}
		for n0 := 0; n0 < l.n; n0 += rowBlock {
			n1 := min(n0+rowBlock, l.n)
			k := vec.ColSqDev(simd, acc, x[n0*l.c+c0:], mu, l.c, n1-n0)
			rest, ck, mu := acc[k:], c0+k, mu[k:]
			clear(rest)
			n := n0
			for ; n+4 <= n1; n += 4 {
				r0, r1, r2, r3 := rows(x[ck:], n, l.c, len(rest))
				mu := mu[:len(rest)]
				for c := range rest {
					m := mu[c]
					d0, d1, d2, d3 := r0[c]-m, r1[c]-m, r2[c]-m, r3[c]-m
					rest[c] += (d0*d0 + d1*d1) + (d2*d2 + d3*d3)
				}
			}
			for ; n < n1; n++ {
				mu := mu[:len(rest)]
				for c, v := range x[n*l.c+ck:][:len(rest)] {
					d := v - mu[c]
					rest[c] += d * d
				}
			}
			for c, v := range acc {
				out[c] += float64(v)
			}
		}
		return
	}
	for c := range out {
		m := T(mean[c0+c])
		for n := 0; n < l.n; n++ {
			out[c] += planeSqDev(x[(n*l.c+c0+c)*l.s:][:l.s], m)
		}
	}
}

// planeSqDev returns Σ (p - m)².
func planeSqDev[T Float](p []T, m T) float64 {
	var s float64
	for len(p) > 0 {
		q := p[:min(len(p), planeBlock)]
		p = p[len(q):]
		var a0, a1, a2, a3 T
		i := 0
		for ; i+4 <= len(q); i += 4 {
			v := q[i : i+4 : i+4]
			d0, d1, d2, d3 := v[0]-m, v[1]-m, v[2]-m, v[3]-m
			a0 += d0 * d0
			a1 += d1 * d1
			a2 += d2 * d2
			a3 += d3 * d3
		}
		for ; i < len(q); i++ {
			d := q[i] - m
			a0 += d * d
		}
		s += float64((a0 + a1) + (a2 + a3))
	}
	return s
}

// channelDots sets out[c] = Σ dy[·, c, ·]·(x[·, c, ·] - mean[c]) for
// c0 <= c < c1.
func channelDots[T Float](out []float64, dy, x []T, mean []float64, l layout, tmp []T, c0, c1 int) {
	out = out[c0:c1]
	clear(out)
	if l.s == 1 {
		mu, acc := tmp[c0:c1], tmp[l.c+c0:l.c+c1]
		for c, m := range mean[c0:c1] {
			mu[c] = T(m)
		}
		for n0 := 0; n0 < l.n; n0 += rowBlock {
			n1 := min(n0+rowBlock, l.n)
			k := vec.ColDots(simd, acc, dy[n0*l.c+c0:], x[n0*l.c+c0:], mu, l.c, n1-n0)
			rest, ck, mu := acc[k:], c0+k, mu[k:]
			clear(rest)
			n := n0
			for ; n+4 <= n1; n += 4 {
				r0, r1, r2, r3 := rows(x[ck:], n, l.c, len(rest))
				g0, g1, g2, g3 := rows(dy[ck:], n, l.c, len(rest))
				mu := mu[:len(rest)]
				for c := range rest {
					m := mu[c]
					rest[c] += (g0[c]*(r0[c]-m) + g1[c]*(r1[c]-m)) + (g2[c]*(r2[c]-m) + g3[c]*(r3[c]-m))
				}
			}
			for ; n < n1; n++ {
				mu := mu[:len(rest)]
				g := dy[n*l.c+ck:][:len(rest)]
				for c, v := range x[n*l.c+ck:][:len(rest)] {
					rest[c] += g[c] * (v - mu[c])
				}
			}
			for c, v := range acc {
				out[c] += float64(v)
			}
		}
		return
	}
	for c := range out {
		m := T(mean[c0+c])
		for n := 0; n < l.n; n++ {
			o := (n*l.c + c0 + c) * l.s
			out[c] += planeDot(dy[o:][:l.s], x[o:][:l.s], m)
		}
	}
}

// planeDot returns Σ g·(p - m).
func planeDot[T Float](g, p []T, m T) float64 {
	var s float64
	p = p[:len(g)]
	for len(g) > 0 {
		n := min(len(g), planeBlock)
		h, q := g[:n], p[:n]
		g, p = g[n:], p[n:]
		var a0, a1, a2, a3 T
		i := 0
		for ; i+4 <= n; i += 4 {
			v, w := q[i:i+4:i+4], h[i:i+4:i+4]
			a0 += w[0] * (v[0] - m)
			a1 += w[1] * (v[1] - m)
			a2 += w[2] * (v[2] - m)
			a3 += w[3] * (v[3] - m)
		}
		for ; i < n; i++ {
			a0 += h[i] * (q[i] - m)
		}
		s += float64((a0 + a1) + (a2 + a3))
	}
	return s
}

// The maps run over units u0..u1-1: rows [N, C] (S = 1) or planes
// (n·C + c) otherwise; units(l) is their number.
func units(l layout) int {
	if l.s == 1 {
		return l.n
	}
	return l.n * l.c
}

// normalize sets y = x·sc[c] + sh[c] (PyTorch's form: sh = beta - mean·sc).
func normalize[T Float](y, x, sc, sh []T, l layout, u0, u1 int) {
	if l.s == 1 {
		sc, sh = sc[:l.c], sh[:l.c]
		for n := u0; n < u1; n++ {
			xr := x[n*l.c:][:len(sc)]
			yr := y[n*l.c:][:len(sc)]
			k := vec.RowAffine(simd, yr, xr, sc, sh)
			for c, v := range xr[k:] {
				yr[k+c] = v*sc[k+c] + sh[k+c]
			}
		}
		return
	}
	for u := u0; u < u1; u++ {
		c, o := u%l.c, u*l.s
		xp := x[o:][:l.s]
		yp := y[o:][:len(xp)]
		s, b := sc[c], sh[c]
		for i, v := range xp {
			yp[i] = v*s + b
		}
	}
}

// scaleChannels sets dx = dy·a[c].
func scaleChannels[T Float](dx, dy, a []T, l layout, u0, u1 int) {
	if l.s == 1 {
		a = a[:l.c]
		for n := u0; n < u1; n++ {
			gr := dy[n*l.c:][:len(a)]
			dr := dx[n*l.c:][:len(a)]
			k := vec.RowScale(simd, dr, gr, a)
			for c, v := range gr[k:] {
				dr[k+c] = v * a[k+c]
			}
		}
		return
	}
	for u := u0; u < u1; u++ {
		c, o := u%l.c, u*l.s
		ac := a[c]
		gp := dy[o:][:l.s]
		dp := dx[o:][:len(gp)]
		for i, v := range gp {
			dp[i] = v * ac
		}
	}
}

// bnDx sets dx = a[c]·dy + b[c]·(x - mu[c]) + k[c].
func bnDx[T Float](dx, dy, x, mu, a, b, k []T, l layout, u0, u1 int) {
	if l.s == 1 {
		for n := u0; n < u1; n++ {
			gr := dy[n*l.c:][:l.c]
			xr, dr := x[n*l.c:][:len(gr)], dx[n*l.c:][:len(gr)]
			a, b, k, mu := a[:len(gr)], b[:len(gr)], k[:len(gr)], mu[:len(gr)]
			j := vec.RowBNDx(simd, dr, gr, xr, mu, a, b, k)
			for c := j; c < len(gr); c++ {
				dr[c] = a[c]*gr[c] + b[c]*(xr[c]-mu[c]) + k[c]
			}
		}
		return
	}
	for u := u0; u < u1; u++ {
		c, o := u%l.c, u*l.s
		gp := dy[o:][:l.s]
		xp, dp := x[o:][:len(gp)], dx[o:][:len(gp)]
		ac, bc, kc, m := a[c], b[c], k[c], mu[c]
		for i, v := range gp {
			dp[i] = ac*v + bc*(xp[i]-m) + kc
		}
	}
}

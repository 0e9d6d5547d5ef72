package dconv

// Shape is a stride-1 convolution over zero-padded planes: C input and O
// output channels, a KH×KW kernel, input planes of HP rows of WP values
// (the padding already added), of which the first PT and the last PB rows
// are zero padding: the kernels skip the products with them (about 9% of
// the forward pass's for 5×5 with padding 2 on 14×14), as oneDNN does.
// PT = PB = 0 is always correct.
type Shape struct {
	C, O   int
	KH, KW int
	HP, WP int
	PT, PB int
}

// OH and OW are the output plane's rows and columns; P its size.
func (s Shape) OH() int { return s.HP - s.KH + 1 }
func (s Shape) OW() int { return s.WP - s.KW + 1 }
func (s Shape) P() int  { return s.OH() * s.OW() }

// K is the length of the sum per output value (C·KH·KW).
func (s Shape) K() int { return s.C * s.KH * s.KW }

// Blocks is the number of blocks of 32 output channels; the last may be
// partial (its missing channels are zero in the packed weights and never
// stored).
func (s Shape) Blocks() int { return (s.O + 31) / 32 }

func (s Shape) valid() bool {
	return s.C > 0 && s.O > 0 && s.KH > 0 && s.KW > 0 && s.OH() > 0 && s.OW() > 0 &&
		s.PT >= 0 && s.PB >= 0 && s.PT+s.PB <= s.HP && s.P() < maxPlane
}

// maxPlane bounds an output plane: the scatter's offsets (up to 15 planes,
// in bytes) are 32-bit.
const maxPlane = 1 << 25

// rows returns the kernel rows [ky0, ky1) that meet input rows other than
// padding for output row oy (ky0 >= ky1 when none does).
func (s Shape) rows(oy int) (ky0, ky1 int) {
	return max(0, s.PT-oy), min(s.KH, s.HP-s.PB-oy)
}

// Available reports whether the kernels run on this machine (amd64 with
// AVX-512F and the OS's ZMM state; not with the purego tag).
func Available() bool { return available }

// ForwardOK reports whether Forward runs s; GradWOK whether GradW does
// (its kernels cover widths 2 to 7).
func ForwardOK(s Shape) bool { return available && s.valid() }
func GradWOK(s Shape) bool {
	return available && s.valid() && s.KW >= 2 && s.KW <= 7
}

// PackedLen is the length of s's packed weights (and of GradW's
// accumulator): Blocks·K·32.
func PackedLen(s Shape) int { return s.Blocks() * s.K() * 32 }

// PackWeights packs w [O, C, KH, KW] (PyTorch's layout) for Forward:
// dst[(b·K + k)·32 + j] = w[b·32 + j, k], zero past O.
func PackWeights(dst, w []float32, s Shape) {
	K := s.K()
	_, _ = dst[PackedLen(s)-1], w[s.O*K-1]
	for b := range s.Blocks() {
		n := min(32, s.O-b*32)
		interleave(dst[b*K*32:][:K*32], w[b*32*K:][:n*K], K, n, false)
	}
}

// PackWeightsFlipped packs w [C, O, KH, KW] (the weights of the
// convolution whose input gradient s computes: its O channels are s.C and
// its C channels s.O) turned by 180° and with the channels swapped:
// dst[(b·K + (o·KH + ky)·KW + kx)·32 + j] = w[o, b·32 + j, KH-1-ky, KW-1-kx].
// With it Forward over the zero-padded output gradient (KH-1-pad rows and
// KW-1-pad columns on each side) gives the input gradient of a stride-1
// convolution.
func PackWeightsFlipped(dst, w []float32, s Shape) {
	K, kk := s.K(), s.KH*s.KW
	_, _ = dst[PackedLen(s)-1], w[s.C*s.O*kk-1]
	for b := range s.Blocks() {
		n := min(32, s.O-b*32)
		for o := range s.C {
			// rows c = b·32+j of w[o] (each kk long), reversed
			interleave(dst[(b*K+o*kk)*32:][:kk*32], w[(o*s.O+b*32)*kk:][:n*kk], kk, n, true)
		}
	}
}

// interleave writes n rows of length m (src, row after row) as the
// columns of dst [m, 32] (dst[i·32 + j] = src[j·m + i], or src[j·m + m-1-i]
// reversed), zero in columns n to 31. Eight rows at a time: 32-byte
// writes (the packings run per call, and per image at batch 1).
func interleave(dst, src []float32, m, n int, reversed bool) {
	_, _ = dst[m*32-1], src[n*m-1]
	j := 0
	for ; j+8 <= n; j += 8 {
		r := src[j*m:][:8*m]
		r0, r1, r2, r3 := r[:m], r[m:2*m], r[2*m:3*m], r[3*m:4*m]
		r4, r5, r6, r7 := r[4*m:5*m], r[5*m:6*m], r[6*m:7*m], r[7*m:]
		for i := range m {
			k := i
			if reversed {
				k = m - 1 - i
			}
			d := dst[i*32+j:][:8]
			d[0], d[1], d[2], d[3] = r0[k], r1[k], r2[k], r3[k]
			d[4], d[5], d[6], d[7] = r4[k], r5[k], r6[k], r7[k]
		}
	}
	for ; j < 32; j++ {
		for i := range m {
			v := float32(0)
			if j < n {
				k := i
				if reversed {
					k = m - 1 - i
				}
				v = src[j*m+k]
			}
			dst[i*32+j] = v
		}
	}
}

// Forward computes one image's output y [O, OH, OW] from its padded input
// x [C, HP, WP], the packed weights w (PackWeights) and bias [Blocks·32]
// (zeros for none): y[o, p] = bias[o] + Σ_k w[o, k]·x at (k, p). Each
// output value is one chain of K fused multiply-adds in k order.
func Forward(y, x, w, bias []float32, s Shape) { ForwardPart(y, x, w, bias, s, 0, 1) }

// ForwardPart computes part of Forward's output, for splitting one image
// over threads: the output rows of the blocks of 32 channels (Blocks·OH
// of them, block by block) from part·R/parts to (part+1)·R/parts. The
// parts = 1..R cover the output; each value is computed as by Forward.
func ForwardPart(y, x, w, bias []float32, s Shape, part, parts int) {
	K, P, OW, OH := s.K(), s.P(), s.OW(), s.OH()
	_, _, _, _ = y[s.O*P-1], x[s.C*s.HP*s.WP-1], w[PackedLen(s)-1], bias[s.Blocks()*32-1]
	tiles := (OW + 13) / 14
	R := s.Blocks() * OH
	for r := part * R / parts; r < (part+1)*R/parts; r++ {
		b, oy := r/OH, r%OH
		n := min(32, s.O-b*32)
		ky0, ky1 := s.rows(oy)
		if ky0 >= ky1 { // only padding: the bias
			for j := range n {
				row := y[(b*32+j)*P+oy*OW:][:OW]
				for i := range row {
					row[i] = bias[b*32+j]
				}
			}
			continue
		}
		kh := ky1 - ky0
		for t := range tiles {
			lo, hi := t*OW/tiles, (t+1)*OW/tiles
			fwdKernels[hi-lo](&x[(oy+ky0)*s.WP+lo], &w[(b*K+ky0*s.KW)*32], &bias[b*32], &y[b*32*P+oy*OW+lo],
				s.C, kh, s.KW, 4*s.HP*s.WP, 4*s.WP, 4*P, 1<<n-1, 4*(s.KH-kh)*s.KW*32)
		}
	}
}

// Blocked writes dy [O, P] as dst [Blocks, P, 32] (zero past O), the
// layout GradW reads.
func Blocked(dst, dy []float32, s Shape) {
	P := s.P()
	_, _ = dst[s.Blocks()*P*32-1], dy[s.O*P-1]
	for b := range s.Blocks() {
		n := min(32, s.O-b*32)
		interleave(dst[b*P*32:][:P*32], dy[b*32*P:][:n*P], P, n, false)
	}
}

// GradW adds one image's weight gradient to acc [Blocks, K, 32]
// (acc[(b·K + k)·32 + j] += Σ_p x at (k, p) · dy[b·32 + j, p]) from its
// padded input x [C, HP, WP] and output gradient in Blocked's layout.
// Each call adds one sum over the image's pixels, in pixel order, to each
// element. GradWOK(s) must hold.
func GradW(acc, x, dy []float32, s Shape) {
	K, P := s.K(), s.P()
	_, _, _ = acc[PackedLen(s)-1], x[s.C*s.HP*s.WP-1], dy[s.Blocks()*P*32-1]
	G := len(dwKernels[s.KW]) - 1
	for G > 0 && dwKernels[s.KW][G] == nil {
		G--
	}
	for b := range s.Blocks() {
		db := dy[b*P*32:][:P*32]
		for c := range s.C {
			for ky := 0; ky < s.KH; ky += G {
				g := min(G, s.KH-ky)
				// output rows where one of the g kernel rows meets the input
				oy0, oy1 := max(0, s.PT-(ky+g-1)), min(s.OH(), s.HP-s.PB-ky)
				if oy0 >= oy1 {
					continue
				}
				dwKernels[s.KW][g](&x[(c*s.HP+ky+oy0)*s.WP], &db[oy0*s.OW()*32], &acc[(b*K+(c*s.KH+ky)*s.KW)*32],
					oy1-oy0, s.OW(), 4*s.WP)
			}
		}
	}
}

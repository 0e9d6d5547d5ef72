package dconv

// Shape is a stride-1 convolution over zero-padded planes: C input and O
// output channels, a KH×KW kernel, input planes of HP rows of WP values
// (the padding already added).
type Shape struct {
	C, O   int
	KH, KW int
	HP, WP int
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
	return s.C > 0 && s.O > 0 && s.KH > 0 && s.KW > 0 && s.OH() > 0 && s.OW() > 0
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
		blk := dst[b*K*32:][:K*32]
		for j := range 32 {
			oc := b*32 + j
			if oc >= s.O {
				for k := range K {
					blk[k*32+j] = 0
				}
				continue
			}
			for k, v := range w[oc*K:][:K] {
				blk[k*32+j] = v
			}
		}
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
		blk := dst[b*K*32:][:K*32]
		for j := range 32 {
			c := b*32 + j
			for o := range s.C {
				for t := range kk {
					v := float32(0)
					if c < s.O {
						v = w[(o*s.O+c)*kk+kk-1-t]
					}
					blk[(o*kk+t)*32+j] = v
				}
			}
		}
	}
}

// Forward computes one image's output y [O, OH, OW] from its padded input
// x [C, HP, WP], the packed weights w (PackWeights) and bias [Blocks·32]
// (zeros for none): y[o, p] = bias[o] + Σ_k w[o, k]·x at (k, p). Each
// output value is one chain of K fused multiply-adds in k order.
func Forward(y, x, w, bias []float32, s Shape) {
	K, P, OW := s.K(), s.P(), s.OW()
	_, _, _, _ = y[s.O*P-1], x[s.C*s.HP*s.WP-1], w[PackedLen(s)-1], bias[s.Blocks()*32-1]
	tiles := (OW + 13) / 14
	for b := range s.Blocks() {
		mask := 1<<min(32, s.O-b*32) - 1
		wb := &w[b*K*32]
		for oy := range s.OH() {
			for t := range tiles {
				lo, hi := t*OW/tiles, (t+1)*OW/tiles
				fwdKernels[hi-lo](&x[oy*s.WP+lo], wb, &bias[b*32], &y[b*32*P+oy*OW+lo],
					s.C, s.KH, s.KW, 4*s.HP*s.WP, 4*s.WP, 4*P, mask)
			}
		}
	}
}

// Blocked writes dy [O, P] as dst [Blocks, P, 32] (zero past O), the
// layout GradW reads. Eight channels at a time: 32-byte writes per pixel.
func Blocked(dst, dy []float32, s Shape) {
	P := s.P()
	_, _ = dst[s.Blocks()*P*32-1], dy[s.O*P-1]
	for b := range s.Blocks() {
		blk := dst[b*P*32:][:P*32]
		n := min(32, s.O-b*32)
		j := 0
		for ; j+8 <= n; j += 8 {
			r := dy[(b*32+j)*P:][:8*P]
			r0, r1, r2, r3 := r[:P], r[P:2*P], r[2*P:3*P], r[3*P:4*P]
			r4, r5, r6, r7 := r[4*P:5*P], r[5*P:6*P], r[6*P:7*P], r[7*P:]
			for p := range P {
				d := blk[p*32+j:][:8]
				d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
				d[4], d[5], d[6], d[7] = r4[p], r5[p], r6[p], r7[p]
			}
		}
		for ; j < 32; j++ {
			if j >= n {
				for p := range P {
					blk[p*32+j] = 0
				}
				continue
			}
			for p, v := range dy[(b*32+j)*P:][:P] {
				blk[p*32+j] = v
			}
		}
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
		db := &dy[b*P*32]
		for c := range s.C {
			for ky := 0; ky < s.KH; ky += G {
				g := min(G, s.KH-ky)
				dwKernels[s.KW][g](&x[(c*s.HP+ky)*s.WP], db, &acc[(b*K+(c*s.KH+ky)*s.KW)*32],
					s.OH(), s.OW(), 4*s.WP)
			}
		}
	}
}

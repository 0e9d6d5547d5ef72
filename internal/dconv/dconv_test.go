package dconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64()*2 - 1)
	}
	return v
}

// padInput zeroes the padding rows s.PT and s.PB of x's planes.
func padInput(x []float32, s Shape) []float32 {
	for c := range s.C {
		plane := x[c*s.HP*s.WP:][:s.HP*s.WP]
		clear(plane[:s.PT*s.WP])
		clear(plane[(s.HP-s.PB)*s.WP:])
	}
	return x
}

// shapes covers partial blocks of channels (O = 5, 40), rows split in
// tiles (OW 28 = 14 + 14, 20 = 10 + 10), narrow rows, every dW kernel
// width, kernel rows that are not a multiple of a kernel's rows, and
// padding rows to skip (PT, PB; zeroed in the inputs by padInput).
var shapes = []Shape{
	{C: 32, O: 64, KH: 5, KW: 5, HP: 18, WP: 18, PT: 2, PB: 2},
	{C: 32, O: 64, KH: 5, KW: 5, HP: 18, WP: 18},
	{C: 1, O: 32, KH: 5, KW: 5, HP: 32, WP: 32, PT: 2, PB: 2},
	{C: 3, O: 5, KH: 3, KW: 3, HP: 9, WP: 22, PT: 4, PB: 1}, // output row 0 meets only padding
	{C: 3, O: 5, KH: 3, KW: 3, HP: 9, WP: 22},
	{C: 4, O: 40, KH: 2, KW: 2, HP: 5, WP: 3},
	{C: 2, O: 33, KH: 7, KW: 7, HP: 9, WP: 30},
	{C: 3, O: 16, KH: 1, KW: 4, HP: 6, WP: 19},
	{C: 2, O: 64, KH: 6, KW: 6, HP: 8, WP: 8},
	{C: 5, O: 7, KH: 4, KW: 1, HP: 6, WP: 16},
}

func TestForwardMatchesDirectSum(t *testing.T) {
	if !Available() {
		t.Skip("no AVX-512 kernels on this machine")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			K, P, kk := s.K(), s.P(), s.KH*s.KW
			x, w, bias := padInput(randSlice(r, s.C*s.HP*s.WP), s), randSlice(r, s.O*K), randSlice(r, s.Blocks()*32)
			pw := randSlice(r, PackedLen(s)) // garbage: PackWeights must overwrite all of it
			PackWeights(pw, w, s)
			y := make([]float32, s.O*P+1)
			y[s.O*P] = 42 // past the output: must stay
			Forward(y[:s.O*P], x, pw, bias, s)
			for o := range s.O {
				for oy := range s.OH() {
					for ox := range s.OW() {
						want := float64(bias[o])
						for c := range s.C {
							for t := range kk {
								ky, kx := t/s.KW, t%s.KW
								want += float64(w[o*K+c*kk+t]) * float64(x[(c*s.HP+oy+ky)*s.WP+ox+kx])
							}
						}
						got := y[o*P+oy*s.OW()+ox]
						if math.Abs(float64(got)-want) > 1e-4*(1+math.Abs(want)) {
							t.Fatalf("y[%d, %d, %d] = %v, want %v", o, oy, ox, got, want)
						}
					}
				}
			}
			if y[s.O*P] != 42 {
				t.Fatal("Forward wrote past the output")
			}
		})
	}
}

// TestFlippedIsInputGradient checks Forward with PackWeightsFlipped over
// the padded output gradient against dx = Σ w·dy of the convolution.
func TestFlippedIsInputGradient(t *testing.T) {
	if !Available() {
		t.Skip("no AVX-512 kernels on this machine")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, f := range shapes { // f: the forward convolution, with padding 1 where it fits
		pad := min(1, f.KH-1, f.KW-1)
		H, W := f.HP-2*pad, f.WP-2*pad
		if H <= 0 || W <= 0 || H+2*pad < f.KH || W+2*pad < f.KW {
			continue
		}
		t.Run(fmt.Sprint(f), func(t *testing.T) {
			OH, OW := f.OH(), f.OW()
			kk := f.KH * f.KW
			w, dy := randSlice(r, f.O*f.C*kk), randSlice(r, f.O*OH*OW)
			// the input gradient's convolution: O channels in, C out
			ph, pw := f.KH-1-pad, f.KW-1-pad
			s := Shape{C: f.O, O: f.C, KH: f.KH, KW: f.KW, HP: OH + 2*ph, WP: OW + 2*pw, PT: ph, PB: ph}
			if s.OH() != H || s.OW() != W {
				t.Fatalf("flipped shape %v gives %dx%d, want %dx%d", s, s.OH(), s.OW(), H, W)
			}
			dyp := make([]float32, s.C*s.HP*s.WP)
			for o := range f.O {
				for i := range OH {
					copy(dyp[(o*s.HP+i+ph)*s.WP+pw:][:OW], dy[(o*OH+i)*OW:][:OW])
				}
			}
			pk := make([]float32, PackedLen(s))
			PackWeightsFlipped(pk, w, s)
			dx := make([]float32, f.C*H*W)
			Forward(dx, dyp, pk, make([]float32, s.Blocks()*32), s)
			want := make([]float64, f.C*H*W)
			for o := range f.O {
				for c := range f.C {
					for t := range kk {
						ky, kx := t/f.KW, t%f.KW
						for oy := range OH {
							for ox := range OW {
								iy, ix := oy+ky-pad, ox+kx-pad
								if iy >= 0 && iy < H && ix >= 0 && ix < W {
									want[(c*H+iy)*W+ix] += float64(w[(o*f.C+c)*kk+t]) * float64(dy[(o*OH+oy)*OW+ox])
								}
							}
						}
					}
				}
			}
			for i, v := range want {
				if math.Abs(float64(dx[i])-v) > 1e-4*(1+math.Abs(v)) {
					t.Fatalf("dx[%d] = %v, want %v", i, dx[i], v)
				}
			}
		})
	}
}

func TestGradWMatchesDirectSum(t *testing.T) {
	if !Available() {
		t.Skip("no AVX-512 kernels on this machine")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range shapes {
		if !GradWOK(s) {
			continue
		}
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			K, P, kk := s.K(), s.P(), s.KH*s.KW
			x, dy := padInput(randSlice(r, s.C*s.HP*s.WP), s), randSlice(r, s.O*P)
			bl := randSlice(r, s.Blocks()*P*32)
			Blocked(bl, dy, s)
			acc := randSlice(r, PackedLen(s))
			start := append([]float32(nil), acc...)
			GradW(acc, x, bl, s)
			for b := range s.Blocks() {
				for k := range K {
					c, tt := k/kk, k%kk
					ky, kx := tt/s.KW, tt%s.KW
					for j := range 32 {
						o := b*32 + j
						i := (b*K+k)*32 + j
						want := float64(start[i])
						if o < s.O {
							for oy := range s.OH() {
								for ox := range s.OW() {
									want += float64(x[(c*s.HP+oy+ky)*s.WP+ox+kx]) * float64(dy[o*P+oy*s.OW()+ox])
								}
							}
						}
						if math.Abs(float64(acc[i])-want) > 1e-4*(1+math.Abs(want)) {
							t.Fatalf("acc[b %d, k %d, j %d] = %v, want %v", b, k, j, acc[i], want)
						}
					}
				}
			}
		})
	}
}

// TestShapesWithoutKernels: the shapes the kernels refuse.
func TestShapesWithoutKernels(t *testing.T) {
	for _, kw := range []int{1, 8, 11} {
		if GradWOK(Shape{C: 1, O: 1, KH: 1, KW: kw, HP: 20, WP: 20}) {
			t.Errorf("GradWOK with kernel width %d: there is no kernel for it", kw)
		}
	}
	if ForwardOK(Shape{C: 1, O: 1, KH: 5, KW: 5, HP: 4, WP: 20}) {
		t.Error("ForwardOK for a kernel taller than the padded input")
	}
	if ForwardOK(Shape{C: 1, O: 1, KH: 1, KW: 1, HP: 6000, WP: 6000}) {
		t.Error("ForwardOK for a plane whose scatter offsets overflow 32 bits")
	}
	if !ForwardOK(Shape{C: 1, O: 1, KH: 1, KW: 1, HP: 4000, WP: 4000}) && Available() {
		t.Error("ForwardOK refuses a 4000×4000 plane")
	}
}

// BenchmarkMNIST measures the passes of the 32→64 5×5 convolution on
// 14×14 (padding 2) for one image; GFLOP/s counts 2·64·196·800 per pass,
// the padding's products included, as PyTorch's count does.
func BenchmarkMNIST(b *testing.B) {
	if !Available() {
		b.Skip("no AVX-512 kernels on this machine")
	}
	r := rand.New(rand.NewPCG(7, 8))
	s := Shape{C: 32, O: 64, KH: 5, KW: 5, HP: 18, WP: 18, PT: 2, PB: 2}
	x, w, bias := padInput(randSlice(r, s.C*s.HP*s.WP), s), randSlice(r, s.O*s.K()), randSlice(r, 64)
	pw, y, acc := make([]float32, PackedLen(s)), make([]float32, s.O*s.P()), make([]float32, PackedLen(s))
	PackWeights(pw, w, s)
	bl := make([]float32, s.Blocks()*s.P()*32)
	flops := 2 * float64(s.O*s.P()*s.K())
	b.Run("forward", func(b *testing.B) {
		for range b.N {
			Forward(y, x, pw, bias, s)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("gradX", func(b *testing.B) {
		sx := Shape{C: 64, O: 32, KH: 5, KW: 5, HP: 18, WP: 18, PT: 2, PB: 2}
		dy, dx, pk := randSlice(r, sx.C*sx.HP*sx.WP), make([]float32, sx.O*sx.P()), make([]float32, PackedLen(sx))
		PackWeightsFlipped(pk, w, sx)
		for range b.N {
			Forward(dx, dy, pk, bias[:32], sx)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("gradW", func(b *testing.B) {
		for range b.N {
			Blocked(bl, y, s)
			GradW(acc, x, bl, s)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func BenchmarkBlocked(b *testing.B) {
	s := Shape{C: 32, O: 64, KH: 5, KW: 5, HP: 18, WP: 18}
	dy, dst := make([]float32, s.O*s.P()), make([]float32, s.Blocks()*s.P()*32)
	for range b.N {
		Blocked(dst, dy, s)
	}
}

// TestForwardPartsCoverForward: any number of parts gives Forward's bits.
func TestForwardPartsCoverForward(t *testing.T) {
	if !Available() {
		t.Skip("no AVX-512 kernels on this machine")
	}
	r := rand.New(rand.NewPCG(9, 10))
	s := Shape{C: 3, O: 40, KH: 3, KW: 3, HP: 9, WP: 22}
	x, w, bias := randSlice(r, s.C*s.HP*s.WP), randSlice(r, s.O*s.K()), randSlice(r, s.Blocks()*32)
	pw := make([]float32, PackedLen(s))
	PackWeights(pw, w, s)
	want := make([]float32, s.O*s.P())
	Forward(want, x, pw, bias, s)
	R := s.Blocks() * s.OH()
	for _, parts := range []int{2, 3, 5, R} {
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		for part := range parts {
			ForwardPart(got, x, pw, bias, s, part, parts)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d parts: y[%d] = %v, Forward gives %v", parts, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkPackWeights(b *testing.B) {
	s := Shape{C: 32, O: 64, KH: 5, KW: 5, HP: 18, WP: 18}
	w, dst := make([]float32, s.O*s.K()), make([]float32, PackedLen(s))
	b.Run("forward", func(b *testing.B) {
		for range b.N {
			PackWeights(dst, w, s)
		}
	})
	sx := Shape{C: 64, O: 32, KH: 5, KW: 5, HP: 18, WP: 18}
	b.Run("flipped", func(b *testing.B) {
		for range b.N {
			PackWeightsFlipped(dst, w, sx)
		}
	})
}

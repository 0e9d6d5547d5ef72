//go:build ignore

// gen_kernels generates kernels_amd64.s, the direct-convolution
// micro-kernels (AVX-512, float32). See doc.go for the algorithm.
//
//	go run gen_kernels.go
//
// fwdN (N = 1..14 pixels) has the Go signature
//
//	func fwdN(x, w, bias, y *float32, c, kh, kw, cs, rs, ldy, mask, wskip int)
//
// and computes the tile of N consecutive output pixels of one row × 32
// output channels
//
//	y[j·ldy + i] = bias[j] + Σ_{ci, ky, kx} x[ci·cs + ky·rs + kx + i] · w[ci·wc + (ky·kw + kx)·32 + j]
//
// over kh kernel rows (strides in bytes for cs, rs and ldy; wc =
// kh·kw·32 + wskip/4: the weights of kernel rows that fall in zero
// padding are skipped), storing channel j only where bit j of mask is
// set. x points at the tile's first input pixel (channel 0, the
// row of the tile, its first column) in zero-padded planes; w at a block
// of packed weights [c·kh·kw][32]. The accumulators hold pixel i's 32
// channels in two registers; each is scattered into y's channel planes
// (VSCATTERDPS), so y is written in its own [O, P] layout.
//
// dwKW_G (KW = 2..7, G = 1..min(4, 14/KW)) has the Go signature
//
//	func dwKW_G(x, dy, acc *float32, oh, ow, rs int)
//
// and adds to the G·KW rows of acc (32 floats each, contiguous)
//
//	acc[(g·KW + kx)·32 + j] += Σ_{oy, ox} x[(g + oy)·rs + ox + kx] · dy[(oy·ow + ox)·32 + j]
//
// x pointing at the first padded row (channel c, row ky0) of the kernel
// rows g = 0..G-1, dy at a block of the output gradient transposed to
// [oh·ow][32].
package main

import (
	"bytes"
	"fmt"
	"os"
)

var buf bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&buf, format+"\n", args...) }

func z(i int) string { return fmt.Sprintf("Z%d", i) }

func fwd(mr int) {
	name := fmt.Sprintf("fwd%d", mr)
	p("")
	p("// func %s(x, w, bias, y *float32, c, kh, kw, cs, rs, ldy, mask, wskip int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-96", name)
	p("\tMOVQ x+0(FP), SI")
	p("\tMOVQ w+8(FP), DI")
	p("\tMOVQ bias+16(FP), AX")
	p("\tMOVQ c+32(FP), R10")
	p("\tMOVQ cs+56(FP), R13")
	p("\tMOVQ rs+64(FP), R12")
	p("\tMOVQ wskip+88(FP), R11")
	// The accumulators start at the bias.
	p("\tVMOVUPS (AX), Z28")
	p("\tVMOVUPS 64(AX), Z29")
	for i := 0; i < mr; i++ {
		p("\tVMOVAPS Z28, %s", z(2*i))
		p("\tVMOVAPS Z29, %s", z(2*i+1))
	}
	p("loopc:")
	p("\tMOVQ SI, AX") // channel plane
	p("\tMOVQ kh+40(FP), BX")
	p("loopky:")
	p("\tMOVQ AX, R9") // kernel row
	p("\tMOVQ kw+48(FP), CX")
	p("loopkx:")
	p("\tVMOVUPS (DI), Z28")
	p("\tVMOVUPS 64(DI), Z29")
	for i := 0; i < mr; i++ {
		p("\tVFMADD231PS.BCST %d(R9), Z28, %s", 4*i, z(2*i))
		p("\tVFMADD231PS.BCST %d(R9), Z29, %s", 4*i, z(2*i+1))
	}
	p("\tADDQ $128, DI")
	p("\tADDQ $4, R9")
	p("\tDECQ CX")
	p("\tJNZ loopkx")
	p("\tADDQ R12, AX")
	p("\tDECQ BX")
	p("\tJNZ loopky")
	p("\tADDQ R11, DI")
	p("\tADDQ R13, SI")
	p("\tDECQ R10")
	p("\tJNZ loopc")
	// Scatter: lane j of a register goes to y + j·ldy (+ 16·ldy for the
	// second register), pixel i at +4i.
	p("\tMOVQ y+24(FP), DX")
	p("\tMOVQ ldy+72(FP), R8")
	p("\tVMOVDQU32 iota<>(SB), Z30")
	p("\tVPMULLD.BCST ldy+72(FP), Z30, Z30")
	p("\tMOVQ R8, R9")
	p("\tSHLQ $4, R9")
	p("\tADDQ DX, R9")
	p("\tMOVQ mask+80(FP), R10")
	p("\tMOVQ R10, R11")
	p("\tSHRQ $16, R11")
	for i := 0; i < mr; i++ {
		p("\tKMOVW R10, K1")
		p("\tVSCATTERDPS %s, K1, %d(DX)(Z30*1)", z(2*i), 4*i)
		p("\tKMOVW R11, K2")
		p("\tVSCATTERDPS %s, K2, %d(R9)(Z30*1)", z(2*i+1), 4*i)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

func dw(kw, g int) {
	name := fmt.Sprintf("dw%d_%d", kw, g)
	rows := g * kw
	ptr := []string{"R9", "R10", "R11", "R12"}
	p("")
	p("// func %s(x, dy, acc *float32, oh, ow, rs int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	p("\tMOVQ x+0(FP), AX")
	p("\tMOVQ dy+8(FP), DI")
	p("\tMOVQ oh+24(FP), BX")
	p("\tMOVQ rs+40(FP), R8")
	for r := 0; r < 2*rows; r++ {
		p("\tVPXORD %s, %s, %s", z(r), z(r), z(r))
	}
	p("loopy:")
	p("\tMOVQ AX, R9")
	for i := 1; i < g; i++ {
		p("\tLEAQ (%s)(R8*1), %s", ptr[i-1], ptr[i])
	}
	p("\tMOVQ ow+32(FP), CX")
	p("loopx:")
	p("\tVMOVUPS (DI), Z28")
	p("\tVMOVUPS 64(DI), Z29")
	for gi := 0; gi < g; gi++ {
		for kx := 0; kx < kw; kx++ {
			r := gi*kw + kx
			p("\tVFMADD231PS.BCST %d(%s), Z28, %s", 4*kx, ptr[gi], z(2*r))
			p("\tVFMADD231PS.BCST %d(%s), Z29, %s", 4*kx, ptr[gi], z(2*r+1))
		}
	}
	p("\tADDQ $128, DI")
	for gi := 0; gi < g; gi++ {
		p("\tADDQ $4, %s", ptr[gi])
	}
	p("\tDECQ CX")
	p("\tJNZ loopx")
	p("\tADDQ R8, AX")
	p("\tDECQ BX")
	p("\tJNZ loopy")
	p("\tMOVQ acc+16(FP), DX")
	for r := 0; r < rows; r++ {
		for v := 0; v < 2; v++ {
			off := r*128 + v*64
			p("\tVADDPS %d(DX), %s, %s", off, z(2*r+v), z(2*r+v))
			p("\tVMOVUPS %s, %d(DX)", z(2*r+v), off)
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// fail reports a failed write and exits with status 1.
func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen_kernels:", err)
	os.Exit(1)
}

// maxG returns the most kernel rows a dW kernel of width kw takes.
func maxG(kw int) int { return min(4, 14/kw) }

func main() {
	p("// Code generated by gen_kernels.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("#include \"textflag.h\"")
	p("")
	for i := 0; i < 16; i++ {
		p("DATA iota<>+%d(SB)/4, $%d", 4*i, i)
	}
	p("GLOBL iota<>(SB), RODATA|NOPTR, $64")
	for mr := 1; mr <= 14; mr++ {
		fwd(mr)
	}
	for kw := 2; kw <= 7; kw++ {
		for g := 1; g <= maxG(kw); g++ {
			dw(kw, g)
		}
	}
	if err := os.WriteFile("kernels_amd64.s", buf.Bytes(), 0o644); err != nil {
		fail(err)
	}

	// The Go declarations and dispatch tables.
	buf.Reset()
	p("// Code generated by gen_kernels.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("package dconv")
	p("")
	for mr := 1; mr <= 14; mr++ {
		p("//go:noescape")
		p("func fwd%d(x, w, bias, y *float32, c, kh, kw, cs, rs, ldy, mask, wskip int)", mr)
		p("")
	}
	for kw := 2; kw <= 7; kw++ {
		for g := 1; g <= maxG(kw); g++ {
			p("//go:noescape")
			p("func dw%d_%d(x, dy, acc *float32, oh, ow, rs int)", kw, g)
			p("")
		}
	}
	p("// fwdKernels[n] computes a tile of n pixels (n = 1..14).")
	p("var fwdKernels = [...]fwdKernel{nil,")
	for mr := 1; mr <= 14; mr++ {
		p("\tfwd%d,", mr)
	}
	p("}")
	p("")
	p("// dwKernels[kw][g] sums g kernel rows of width kw.")
	p("var dwKernels = [8][5]dwKernel{")
	for kw := 2; kw <= 7; kw++ {
		fmt.Fprintf(&buf, "\t%d: {", kw)
		for g := 1; g <= maxG(kw); g++ {
			fmt.Fprintf(&buf, "%d: dw%d_%d", g, kw, g)
			if g < maxG(kw) {
				fmt.Fprintf(&buf, ", ")
			}
		}
		p("},")
	}
	p("}")
	if err := os.WriteFile("kernels_amd64.go", buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
}

//go:build ignore

// gen_gemv generates gemv_amd64.s, the matrix-vector kernels of the GEMV
// path (gemv.go).
//
//	go run gen_gemv.go
//
// Two kernels per ISA and dtype, with the Go signature
//
//	func name(k, n int, x, b *T, ldb int, y *T)
//
// axpy ("N"): y[j] = Σ_p x[p]·b[p·ldb+j] for j < n: the rows of b scaled
// and summed, 8 vectors of columns at a time (8 independent accumulators
// hide the FMA latency), then one vector at a time; AVX-512 finishes the
// last n%16 (f32) or n%8 (f64) columns with a masked vector, AVX2 leaves
// them to the caller (it processes n - n%V columns).
//
// dot ("T"): y[j] = Σ_p x[p]·b[j·ldb+p] for j < n: a dot product per row,
// four accumulators over 4 vectors of p, then one vector, then the last
// k%V values (masked on AVX-512, scalar FMAs on AVX2), then a fixed
// reduction tree.
//
// Every column (axpy) or row (dot) is computed by the same instructions
// whatever its position, so the caller may split the columns or rows over
// threads at multiples of 8 vectors and get the same bits. k >= 1.
package main

import (
	"bytes"
	"fmt"
	"os"
)

type isa struct {
	name string
	zmm  bool
	f64  bool
}

func (s isa) es() int {
	if s.f64 {
		return 8
	}
	return 4
}
func (s isa) vb() int {
	if s.zmm {
		return 64
	}
	return 32
}
func (s isa) lanes() int { return s.vb() / s.es() }
func (s isa) r(i int) string {
	if s.zmm {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}
func (s isa) x(i int) string { return fmt.Sprintf("X%d", i) }
func (s isa) y(i int) string { return fmt.Sprintf("Y%d", i) }
func (s isa) ps() string {
	if s.f64 {
		return "PD"
	}
	return "PS"
}
func (s isa) ss() string {
	if s.f64 {
		return "SD"
	}
	return "SS"
}
func (s isa) shift() int {
	if s.f64 {
		return 3
	}
	return 2
}
func (s isa) suffix() string {
	sfx := "AVX2"
	if s.zmm {
		sfx = "AVX512"
	}
	if s.f64 {
		return sfx + "D"
	}
	return sfx + "S"
}

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }
func label(l string)               { fmt.Fprintf(&out, "%s:\n", l) }

func header(name string, s isa) {
	t := "float32"
	if s.f64 {
		t = "float64"
	}
	fmt.Fprintf(&out, "\n// func %s(k, n int, x, b *%s, ldb int, y *%s)\n", name, t, t)
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-48\n", name)
	p("MOVQ k+0(FP), R11")
	p("MOVQ n+8(FP), DX")
	p("MOVQ x+16(FP), SI")
	p("MOVQ b+24(FP), DI")
	p("MOVQ ldb+32(FP), R8")
	p("SHLQ $%d, R8", s.shift())
	p("MOVQ y+40(FP), R9")
}

func zero(s isa, i int) {
	if s.zmm {
		p("VPXORD %s, %s, %s", s.r(i), s.r(i), s.r(i))
	} else {
		p("VXORPS %s, %s, %s", s.r(i), s.r(i), s.r(i))
	}
}

// mask sets K1 to the low R10 lanes (R10 < lanes); clobbers CX, R12.
func mask() {
	p("MOVQ R10, CX")
	p("MOVL $1, R12")
	p("SHLL CX, R12")
	p("DECL R12")
	p("KMOVW R12, K1")
}

func genAxpy(s isa) {
	name := "gemvN" + s.suffix()
	header(name, s)
	V, vb := s.lanes(), s.vb()
	bcast := "VBROADCASTSS"
	if s.f64 {
		bcast = "VBROADCASTSD"
	}
	const nv = 8
	// Blocks of nv vectors.
	label("blk8")
	p("CMPQ DX, $%d", nv*V)
	p("JLT blk1")
	for i := 0; i < nv; i++ {
		zero(s, i)
	}
	p("MOVQ SI, AX")
	p("MOVQ DI, BX")
	p("MOVQ R11, R10")
	label("loop8")
	p("%s (AX), %s", bcast, s.r(8))
	for i := 0; i < nv; i++ {
		p("VFMADD231%s %d(BX), %s, %s", s.ps(), i*vb, s.r(8), s.r(i))
	}
	p("ADDQ $%d, AX", s.es())
	p("ADDQ R8, BX")
	p("DECQ R10")
	p("JNZ loop8")
	for i := 0; i < nv; i++ {
		p("VMOVUP%s %s, %d(R9)", s.ps()[1:], s.r(i), i*vb)
	}
	p("ADDQ $%d, DI", nv*vb)
	p("ADDQ $%d, R9", nv*vb)
	p("SUBQ $%d, DX", nv*V)
	p("JMP blk8")
	// One vector at a time.
	label("blk1")
	p("CMPQ DX, $%d", V)
	p("JLT tail")
	zero(s, 0)
	p("MOVQ SI, AX")
	p("MOVQ DI, BX")
	p("MOVQ R11, R10")
	label("loop1")
	p("%s (AX), %s", bcast, s.r(8))
	p("VFMADD231%s (BX), %s, %s", s.ps(), s.r(8), s.r(0))
	p("ADDQ $%d, AX", s.es())
	p("ADDQ R8, BX")
	p("DECQ R10")
	p("JNZ loop1")
	p("VMOVUP%s %s, (R9)", s.ps()[1:], s.r(0))
	p("ADDQ $%d, DI", vb)
	p("ADDQ $%d, R9", vb)
	p("SUBQ $%d, DX", V)
	p("JMP blk1")
	label("tail")
	if s.zmm {
		p("TESTQ DX, DX")
		p("JZ done")
		p("MOVQ DX, R10")
		mask()
		zero(s, 0)
		p("MOVQ SI, AX")
		p("MOVQ DI, BX")
		p("MOVQ R11, R10")
		label("loopt")
		p("%s (AX), %s", bcast, s.r(8))
		p("VMOVUP%s.Z (BX), K1, %s", s.ps()[1:], s.r(9))
		p("VFMADD231%s %s, %s, %s", s.ps(), s.r(9), s.r(8), s.r(0))
		p("ADDQ $%d, AX", s.es())
		p("ADDQ R8, BX")
		p("DECQ R10")
		p("JNZ loopt")
		p("VMOVUP%s %s, K1, (R9)", s.ps()[1:], s.r(0))
	}
	label("done")
	p("VZEROUPPER")
	p("RET")
}

func genDot(s isa) {
	name := "gemvT" + s.suffix()
	header(name, s)
	V, vb := s.lanes(), s.vb()
	label("row")
	p("TESTQ DX, DX")
	p("JZ done")
	for i := 0; i < 4; i++ {
		zero(s, i)
	}
	if !s.zmm {
		p("VXORPS X8, X8, X8") // scalar tail
	}
	p("MOVQ SI, AX")
	p("MOVQ DI, BX")
	p("MOVQ R11, R10")
	label("loop4")
	p("CMPQ R10, $%d", 4*V)
	p("JLT loop1")
	for i := 0; i < 4; i++ {
		p("VMOVUP%s %d(AX), %s", s.ps()[1:], i*vb, s.r(4+i))
	}
	for i := 0; i < 4; i++ {
		p("VFMADD231%s %d(BX), %s, %s", s.ps(), i*vb, s.r(4+i), s.r(i))
	}
	p("ADDQ $%d, AX", 4*vb)
	p("ADDQ $%d, BX", 4*vb)
	p("SUBQ $%d, R10", 4*V)
	p("JMP loop4")
	label("loop1")
	p("CMPQ R10, $%d", V)
	p("JLT tail")
	p("VMOVUP%s (AX), %s", s.ps()[1:], s.r(4))
	p("VFMADD231%s (BX), %s, %s", s.ps(), s.r(4), s.r(1))
	p("ADDQ $%d, AX", vb)
	p("ADDQ $%d, BX", vb)
	p("SUBQ $%d, R10", V)
	p("JMP loop1")
	label("tail")
	p("TESTQ R10, R10")
	p("JZ reduce")
	if s.zmm {
		mask()
		p("VMOVUP%s.Z (AX), K1, %s", s.ps()[1:], s.r(4))
		p("VMOVUP%s.Z (BX), K1, %s", s.ps()[1:], s.r(5))
		p("VFMADD231%s %s, %s, %s", s.ps(), s.r(5), s.r(4), s.r(2))
	} else {
		label("scalar")
		p("VMOVS%s (AX), X9", s.ss()[1:])
		p("VFMADD231%s (BX), X9, X8", s.ss())
		p("ADDQ $%d, AX", s.es())
		p("ADDQ $%d, BX", s.es())
		p("DECQ R10")
		p("JNZ scalar")
	}
	label("reduce")
	p("VADD%s %s, %s, %s", s.ps(), s.r(1), s.r(0), s.r(0))
	p("VADD%s %s, %s, %s", s.ps(), s.r(3), s.r(2), s.r(2))
	p("VADD%s %s, %s, %s", s.ps(), s.r(2), s.r(0), s.r(0))
	if s.zmm {
		p("VEXTRACTF64X4 $1, Z0, Y1")
		p("VADD%s Y1, Y0, Y0", s.ps())
	}
	p("VEXTRACTF128 $1, Y0, X1")
	p("VADD%s X1, X0, X0", s.ps())
	if s.f64 {
		p("VPERMILPD $1, X0, X1")
		p("VADDSD X1, X0, X0")
	} else {
		p("VMOVHLPS X0, X0, X1")
		p("VADDPS X1, X0, X0")
		p("VMOVSHDUP X0, X1")
		p("VADDSS X1, X0, X0")
	}
	if !s.zmm {
		p("VADD%s X8, X0, X0", s.ss())
	}
	p("VMOVS%s X0, (R9)", s.ss()[1:])
	p("ADDQ $%d, R9", s.es())
	p("ADDQ R8, DI")
	p("DECQ DX")
	p("JMP row")
	label("done")
	p("VZEROUPPER")
	p("RET")
}

func main() {
	fmt.Fprintf(&out, "// Code generated by gen_gemv.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	for _, s := range []isa{{"avx512", true, false}, {"avx512", true, true}, {"avx2", false, false}, {"avx2", false, true}} {
		genAxpy(s)
		genDot(s)
	}
	if err := os.WriteFile("gemv_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

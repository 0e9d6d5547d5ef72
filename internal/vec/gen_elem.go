//go:build ignore

// gen_elem generates elem_amd64.s, the elementwise kernels of package
// graph's maps (elem.go): binary operations on two arrays or an array and
// a scalar, ReLU and its gradient (on the bits, as graph/relu.go), and a
// sum in float64.
//
//	go run gen_elem.go
//
// Every kernel processes n elements, a multiple of the vector length
// (the caller does the rest): four vectors per iteration, then one. The
// binary kernels and ReLU compute exactly the scalar operations (one
// IEEE operation per element; bit operations); the sum adds in float64
// per lane and then across lanes, an order of its own.
package main

import (
	"bytes"
	"fmt"
	"os"
)

type isa struct{ zmm, f64 bool }

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
func (s isa) ps() string {
	if s.f64 {
		return "PD"
	}
	return "PS"
}
func (s isa) sfx() string {
	x := "AVX2"
	if s.zmm {
		x = "AVX512"
	}
	if s.f64 {
		return x + "D"
	}
	return x + "S"
}
func (s isa) typ() string {
	if s.f64 {
		return "float64"
	}
	return "float32"
}

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, "\t"+format+"\n", args...) }
func label(l string)               { fmt.Fprintf(&out, "%s:\n", l) }

// loop emits the 4-then-1 vector loop over CX elements; body(i, off)
// handles vector i of the iteration at byte offset off; ptrs advance.
func loop(s isa, ptrs []string, body func(i int, off int)) {
	V := s.lanes()
	label("loop4")
	p("CMPQ CX, $%d", 4*V)
	p("JLT loop1")
	for i := 0; i < 4; i++ {
		body(i, i*s.vb())
	}
	for _, r := range ptrs {
		p("ADDQ $%d, %s", 4*s.vb(), r)
	}
	p("SUBQ $%d, CX", 4*V)
	p("JMP loop4")
	label("loop1")
	p("CMPQ CX, $%d", V)
	p("JLT done")
	body(0, 0)
	for _, r := range ptrs {
		p("ADDQ $%d, %s", s.vb(), r)
	}
	p("SUBQ $%d, CX", V)
	p("JMP loop1")
	label("done")
}

// binary: z = x OP y, z = x OP s, z = s OP y (s a scalar at *s).
func binary(s isa, op, form string) {
	name := "bin" + op + form + s.sfx()
	t := s.typ()
	switch form {
	case "VV":
		fmt.Fprintf(&out, "\n// func %s(z, x, y *%s, n int)\nTEXT ·%s(SB), NOSPLIT, $0-32\n", name, t, name)
	default:
		fmt.Fprintf(&out, "\n// func %s(z, x, y *%s, n int) (one of x, y is a scalar)\nTEXT ·%s(SB), NOSPLIT, $0-32\n", name, t, name)
	}
	p("MOVQ z+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ y+16(FP), DX")
	p("MOVQ n+24(FP), CX")
	bc := "VBROADCASTSS"
	if s.f64 {
		bc = "VBROADCASTSD"
	}
	ptrs := []string{"DI"}
	switch form {
	case "VV":
		ptrs = append(ptrs, "SI", "DX")
	case "VS":
		p("%s (DX), %s", bc, s.r(15))
		ptrs = append(ptrs, "SI")
	case "SV":
		p("%s (SI), %s", bc, s.r(15))
		ptrs = append(ptrs, "DX")
	}
	loop(s, ptrs, func(i, off int) {
		r := s.r(i)
		switch form {
		case "VV":
			p("VMOVUP%s %d(SI), %s", s.ps()[1:], off, r)
			p("V%s%s %d(DX), %s, %s", op, s.ps(), off, r, r) // r = x OP y
		case "VS":
			p("VMOVUP%s %d(SI), %s", s.ps()[1:], off, r)
			p("V%s%s %s, %s, %s", op, s.ps(), s.r(15), r, r) // r = x OP s
		case "SV":
			p("V%s%s %d(DX), %s, %s", op, s.ps(), off, s.r(15), r) // r = s OP y
		}
		p("VMOVUP%s %s, %d(DI)", s.ps()[1:], r, off)
	})
	p("VZEROUPPER")
	p("RET")
}

// relu: y = x with the sign bit clear, else +0 (graph/relu.go's bits).
func relu(s isa) {
	name := "relu" + s.sfx()
	fmt.Fprintf(&out, "\n// func %s(y, x *%s, n int)\nTEXT ·%s(SB), NOSPLIT, $0-24\n", name, s.typ(), name)
	p("MOVQ y+0(FP), DI")
	p("MOVQ x+8(FP), SI")
	p("MOVQ n+16(FP), CX")
	if !s.zmm && s.f64 {
		p("VPXOR Y15, Y15, Y15")
	}
	loop(s, []string{"DI", "SI"}, func(i, off int) {
		x, m := s.r(i), s.r(4+i)
		p("VMOVDQU %d(SI), %s", off, x)
		switch {
		case s.zmm && s.f64:
			p("VPSRAQ $63, %s, %s", x, m)
			p("VPANDNQ %s, %s, %s", x, m, x)
		case s.zmm:
			p("VPSRAD $31, %s, %s", x, m)
			p("VPANDND %s, %s, %s", x, m, x)
		case s.f64:
			p("VPCMPGTQ %s, Y15, %s", x, m) // 0 > x as int64: the sign bit
			p("VPANDN %s, %s, %s", x, m, x)
		default:
			p("VPSRAD $31, %s, %s", x, m)
			p("VPANDN %s, %s, %s", x, m, x)
		}
		p("VMOVDQU %s, %d(DI)", x, off)
	}) // VMOVDQU on Z registers: see fix-up in main
	p("VZEROUPPER")
	p("RET")
}

// reluGrad: out = g where the bits of y are not 0, else +0.
func reluGrad(s isa) {
	name := "reluGrad" + s.sfx()
	fmt.Fprintf(&out, "\n// func %s(out, y, grad *%s, n int)\nTEXT ·%s(SB), NOSPLIT, $0-32\n", name, s.typ(), name)
	p("MOVQ out+0(FP), DI")
	p("MOVQ y+8(FP), SI")
	p("MOVQ grad+16(FP), DX")
	p("MOVQ n+24(FP), CX")
	if !s.zmm {
		p("VPXOR Y15, Y15, Y15")
	}
	w := "D"
	if s.f64 {
		w = "Q"
	}
	loop(s, []string{"DI", "SI", "DX"}, func(i, off int) {
		y, g := s.r(i), s.r(4+i)
		if s.zmm {
			p("VMOVDQU%s %d(SI), %s", map[string]string{"D": "32", "Q": "64"}[w], off, y)
			p("VPTESTM%s %s, %s, K1", w, y, y)
			p("VMOVDQU%s.Z %d(DX), K1, %s", map[string]string{"D": "32", "Q": "64"}[w], off, g)
			p("VMOVDQU%s %s, %d(DI)", map[string]string{"D": "32", "Q": "64"}[w], g, off)
			return
		}
		p("VMOVDQU %d(SI), %s", off, y)
		p("VPCMPEQ%s Y15, %s, %s", w, y, y) // all ones where y == 0
		p("VPANDN %d(DX), %s, %s", off, y, g)
		p("VMOVDQU %s, %d(DI)", g, off)
	})
	p("VZEROUPPER")
	p("RET")
}

// sum: Σ x in float64, four vector accumulators, then a fixed tree.
func sum(s isa) {
	name := "sum" + s.sfx()
	fmt.Fprintf(&out, "\n// func %s(x *%s, n int) float64\nTEXT ·%s(SB), NOSPLIT, $0-24\n", name, s.typ(), name)
	p("MOVQ x+0(FP), SI")
	p("MOVQ n+8(FP), CX")
	for i := 0; i < 4; i++ {
		if s.zmm {
			p("VPXORD %s, %s, %s", s.r(i), s.r(i), s.r(i))
		} else {
			p("VXORPD %s, %s, %s", s.r(i), s.r(i), s.r(i))
		}
	}
	// Per step: one vector of doubles (8 on AVX-512, 4 on AVX2) from
	// float32 halves (VCVTPS2PD) or float64 vectors.
	step := s.vb() / 8  // doubles per vector
	in := step * s.es() // bytes of input per step
	label("loop4")
	p("CMPQ CX, $%d", 4*step)
	p("JLT loop1")
	for i := 0; i < 4; i++ {
		if s.f64 {
			p("VADDPD %d(SI), %s, %s", i*in, s.r(i), s.r(i))
		} else {
			p("VCVTPS2PD %d(SI), %s", i*in, s.r(4+i))
			p("VADDPD %s, %s, %s", s.r(4+i), s.r(i), s.r(i))
		}
	}
	p("ADDQ $%d, SI", 4*in)
	p("SUBQ $%d, CX", 4*step)
	p("JMP loop4")
	label("loop1")
	p("CMPQ CX, $%d", step)
	p("JLT reduce")
	if s.f64 {
		p("VADDPD (SI), %s, %s", s.r(0), s.r(0))
	} else {
		p("VCVTPS2PD (SI), %s", s.r(4))
		p("VADDPD %s, %s, %s", s.r(4), s.r(0), s.r(0))
	}
	p("ADDQ $%d, SI", in)
	p("SUBQ $%d, CX", step)
	p("JMP loop1")
	label("reduce")
	p("VADDPD %s, %s, %s", s.r(1), s.r(0), s.r(0))
	p("VADDPD %s, %s, %s", s.r(3), s.r(2), s.r(2))
	p("VADDPD %s, %s, %s", s.r(2), s.r(0), s.r(0))
	if s.zmm {
		p("VEXTRACTF64X4 $1, Z0, Y1")
		p("VADDPD Y1, Y0, Y0")
	}
	p("VEXTRACTF128 $1, Y0, X1")
	p("VADDPD X1, X0, X0")
	p("VPERMILPD $1, X0, X1")
	p("VADDSD X1, X0, X0")
	p("VMOVSD X0, ret+16(FP)")
	p("VZEROUPPER")
	p("RET")
}

func main() {
	fmt.Fprintf(&out, "// Code generated by gen_elem.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	for _, s := range []isa{{true, false}, {true, true}, {false, false}, {false, true}} {
		for _, op := range []string{"ADD", "SUB", "MUL", "DIV"} {
			for _, form := range []string{"VV", "VS", "SV"} {
				binary(s, op, form)
			}
		}
		relu(s)
		reluGrad(s)
		sum(s)
	}
	b := out.Bytes()
	// VMOVDQU takes no Z registers: AVX-512 uses VMOVDQU32/64.
	b = bytes.ReplaceAll(b, []byte("VMOVDQU (SI), Z"), []byte("VMOVDQU32 (SI), Z"))
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		if bytes.Contains(l, []byte("VMOVDQU ")) && bytes.Contains(l, []byte("Z")) {
			lines[i] = bytes.Replace(l, []byte("VMOVDQU "), []byte("VMOVDQU64 "), 1)
		}
	}
	b = bytes.Join(lines, []byte("\n"))
	if err := os.WriteFile("elem_amd64.s", b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

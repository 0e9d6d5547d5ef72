//go:build ignore

// gen_rows generates rows_amd64.s, the kernels of batch norm on [N, C]
// tensors (rows.go): per-column sums over rows and per-row maps with
// per-column coefficients, vectorised along the columns (the channels).
//
//	go run gen_rows.go
//
// Every kernel works on nvec whole vectors of columns; the caller does the
// rest. Each computes, per column, the same IEEE operations in the same
// order as the scalar Go loops of ops/channel.go (no FMA), so a column
// gets the same bits from either.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

type isa struct {
	zmm, f64 bool
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

// op emits dst = x OP y (Go asm order: OP y, x, dst).
func (s isa) op(op, dst, x, y string) { p("V%s%s %s, %s, %s", op, s.ps(), y, x, dst) }
func (s isa) load(dst, addr string)   { p("VMOVUP%s %s, %s", s.ps()[1:], addr, dst) }
func (s isa) store(addr, src string)  { p("VMOVUP%s %s, %s", s.ps()[1:], src, addr) }
func (s isa) zero(r string) {
	if s.zmm {
		p("VPXORD %s, %s, %s", r, r, r)
	} else {
		p("VXORPS %s, %s, %s", r, r, r)
	}
}

// header emits the TEXT line and loads the pointer arguments into regs
// and the trailing ints (named) into their registers.
func header(name string, s isa, ptrs []string, regs []string, ints []string, iregs []string) {
	var sig []string
	sig = append(sig, strings.Join(ptrs, ", ")+" *"+s.typ())
	if len(ints) > 0 {
		sig = append(sig, strings.Join(ints, ", ")+" int")
	}
	fmt.Fprintf(&out, "\n// func %s(%s)\n", name, strings.Join(sig, ", "))
	fmt.Fprintf(&out, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", name, 8*(len(ptrs)+len(ints)))
	off := 0
	for i, a := range ptrs {
		p("MOVQ %s+%d(FP), %s", a, off, regs[i])
		off += 8
	}
	for i, a := range ints {
		p("MOVQ %s+%d(FP), %s", a, off, iregs[i])
		off += 8
	}
}

// colKernel: acc[c] = Σ over rows of term(row) for nvec vectors of
// columns, four rows at a time as ((t0+t1)+(t2+t3)), then row by row.
// kind: "sums" (t = x), "sqdev" (t = (x-mu)²), "dots" (t = dy·(x-mu)).
func colKernel(s isa, kind string) {
	name := "col" + strings.ToUpper(kind[:1]) + kind[1:] + s.sfx()
	// DI acc, SI x, DX dy, R8 mu; R9 ld (bytes), R11 rows, R12 nvec.
	ptrs, regs := []string{"acc", "x"}, []string{"DI", "SI"}
	switch kind {
	case "sqdev":
		ptrs, regs = append(ptrs, "mu"), append(regs, "R8")
	case "dots":
		ptrs, regs = []string{"acc", "dy", "x", "mu"}, []string{"DI", "DX", "SI", "R8"}
	}
	header(name, s, ptrs, regs, []string{"ld", "rows", "nvec"}, []string{"R9", "R11", "R12"})
	if s.f64 {
		p("SHLQ $3, R9")
	} else {
		p("SHLQ $2, R9")
	}
	label("strip")
	p("TESTQ R12, R12")
	p("JZ done")
	acc, m := s.r(0), s.r(15)
	s.zero(acc)
	if kind != "sums" {
		s.load(m, "(R8)")
	}
	p("MOVQ SI, BX") // x row pointer
	if kind == "dots" {
		p("MOVQ DX, R13") // dy row pointer
	}
	p("MOVQ R11, CX")
	// term loads row i's term into register t (i-th of the group: offset i*ld).
	term := func(t int, xaddr, gaddr string) {
		switch kind {
		case "sums":
			s.load(s.r(t), xaddr)
		case "sqdev":
			s.load(s.r(t), xaddr)
			s.op("SUB", s.r(t), s.r(t), m)
			s.op("MUL", s.r(t), s.r(t), s.r(t))
		case "dots":
			s.load(s.r(t), xaddr)
			s.op("SUB", s.r(t), s.r(t), m)
			s.load(s.r(t+4), gaddr)
			s.op("MUL", s.r(t), s.r(t+4), s.r(t))
		}
	}
	label("g4")
	p("CMPQ CX, $4")
	p("JLT g1")
	p("LEAQ (BX)(R9*2), R10")
	if kind == "dots" {
		p("LEAQ (R13)(R9*2), R14")
	}
	term(1, "(BX)", "(R13)")
	term(2, "(BX)(R9*1)", "(R13)(R9*1)")
	term(3, "(R10)", "(R14)")
	term(4, "(R10)(R9*1)", "(R14)(R9*1)")
	s.op("ADD", s.r(1), s.r(1), s.r(2))
	s.op("ADD", s.r(3), s.r(3), s.r(4))
	s.op("ADD", s.r(1), s.r(1), s.r(3))
	s.op("ADD", acc, acc, s.r(1))
	p("LEAQ (BX)(R9*4), BX")
	if kind == "dots" {
		p("LEAQ (R13)(R9*4), R13")
	}
	p("SUBQ $4, CX")
	p("JMP g4")
	label("g1")
	p("TESTQ CX, CX")
	p("JZ store")
	term(1, "(BX)", "(R13)")
	s.op("ADD", acc, acc, s.r(1))
	p("ADDQ R9, BX")
	if kind == "dots" {
		p("ADDQ R9, R13")
	}
	p("DECQ CX")
	p("JMP g1")
	label("store")
	s.store("(DI)", acc)
	for _, r := range regs {
		if r == "DI" || r == "SI" || r == "DX" || r == "R8" {
			p("ADDQ $%d, %s", s.vb(), r)
		}
	}
	p("DECQ R12")
	p("JMP strip")
	label("done")
	p("VZEROUPPER")
	p("RET")
}

// rowKernel: per column vector, y = f(inputs), over nvec vectors.
func rowKernel(s isa, kind string) {
	var ptrs, regs []string
	switch kind {
	case "affine": // y = x·s + t
		ptrs, regs = []string{"y", "x", "s", "t"}, []string{"DI", "SI", "R8", "R10"}
	case "scale": // y = x·a
		ptrs, regs = []string{"y", "x", "a"}, []string{"DI", "SI", "R8"}
	case "bndx": // dx = a·dy + b·(x - mu) + k
		ptrs, regs = []string{"dx", "dy", "x", "mu", "a", "b", "k"}, []string{"DI", "DX", "SI", "R8", "R10", "R13", "R14"}
	}
	name := "row" + strings.ToUpper(kind[:1]) + kind[1:] + s.sfx()
	header(name, s, ptrs, regs, []string{"nvec"}, []string{"R12"})
	label("loop")
	p("TESTQ R12, R12")
	p("JZ done")
	switch kind {
	case "affine":
		s.load(s.r(0), "(SI)")
		s.op("MUL", s.r(0), s.r(0), "(R8)")
		s.op("ADD", s.r(0), s.r(0), "(R10)")
	case "scale":
		s.load(s.r(0), "(SI)")
		s.op("MUL", s.r(0), s.r(0), "(R8)")
	case "bndx":
		s.load(s.r(0), "(R10)")             // a
		s.op("MUL", s.r(0), s.r(0), "(DX)") // a·dy
		s.load(s.r(1), "(SI)")              // x
		s.op("SUB", s.r(1), s.r(1), "(R8)") // x - mu
		s.load(s.r(2), "(R13)")             // b
		s.op("MUL", s.r(1), s.r(2), s.r(1)) // b·(x - mu)
		s.op("ADD", s.r(0), s.r(0), s.r(1))
		s.op("ADD", s.r(0), s.r(0), "(R14)") // + k
	}
	s.store("(DI)", s.r(0))
	for _, r := range regs {
		p("ADDQ $%d, %s", s.vb(), r)
	}
	p("DECQ R12")
	p("JMP loop")
	label("done")
	p("VZEROUPPER")
	p("RET")
}

func main() {
	fmt.Fprintf(&out, "// Code generated by gen_rows.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	for _, s := range []isa{{true, false}, {true, true}, {false, false}, {false, true}} {
		for _, k := range []string{"sums", "sqdev", "dots"} {
			colKernel(s, k)
		}
		for _, k := range []string{"affine", "scale", "bndx"} {
			rowKernel(s, k)
		}
	}
	if err := os.WriteFile("rows_amd64.s", out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

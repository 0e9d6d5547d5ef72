//go:build ignore

// gen_kernels generates kernels_amd64.s (the AVX-512 and AVX2 kernels),
// kernels_amd64.go (their declarations and the dispatch by Level) and
// kernels_other.go (the stubs other builds compile).
//
//	go run gen_kernels.go
//
// Every update kernel has the Go signature
//
//	func name(ptrs... *T, n int, consts... T, flags int)
//
// n is a positive multiple of the lanes of one vector; the kernel updates
// elements [0, n) of every array. Each kernel is one TEXT symbol per ISA and
// dtype: flags (the option bits of vec.go, masked to the kernel's own)
// select one of its specialized loops at entry, so the loops have no
// branches but the loop's own. The element-wise operations are those of the
// scalar Go kernels in package optimizers, one instruction per Go
// operation, in the same order, without FMA; see the bodies below.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Option bits; the same values as in vec.go.
const (
	fWD       = 1 << 0 // L2 weight decay added to the gradient
	fFirst    = 1 << 1 // SGD momentum: first step (buf = d)
	fNesterov = 1 << 2 // SGD: Nesterov
	fMom      = 1 << 3 // RMSprop: momentum buffer
	fCentered = 1 << 4 // RMSprop: centered
	fAMS      = 1 << 5 // Adam: AMSGrad
)

type isa struct {
	name  string // AVX512 / AVX2
	zmm   bool
	nregs int
}

func (s isa) vb() int {
	if s.zmm {
		return 64
	}
	return 32
}

func (s isa) reg(i int) string {
	if s.zmm {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

var (
	avx512 = isa{name: "AVX512", zmm: true, nregs: 32}
	avx2   = isa{name: "AVX2", zmm: false, nregs: 16}
)

// kernel describes one update kernel: its arrays, scalar factors, option
// bits, scratch registers (per vector) and the body for one vector.
type kernel struct {
	name   string
	doc    string
	ptrs   []string
	consts []string
	flags  []int
	temps  []string
	body   func(e *emitter, f int)
}

var ptrRegs = []string{"SI", "DI", "R8", "R9", "R10"}

// emitter writes the body of one vector.
type emitter struct {
	s   isa
	f64 bool
	k   *kernel
	cb  int // first constant register
	out *bytes.Buffer
}

func (e *emitter) p(format string, args ...any) { fmt.Fprintf(e.out, "\t"+format+"\n", args...) }

func (e *emitter) ps() string {
	if e.f64 {
		return "PD"
	}
	return "PS"
}

// r names an operand: a temporary, a constant (its register), or "*ptr",
// the vector of array ptr (a memory operand).
func (e *emitter) r(name string) string {
	if strings.HasPrefix(name, "*") {
		for i, p := range e.k.ptrs {
			if p == name[1:] {
				return fmt.Sprintf("(%s)(AX*1)", ptrRegs[i])
			}
		}
		panic("no array " + name)
	}
	for i, t := range e.k.temps {
		if t == name {
			return e.s.reg(i)
		}
	}
	for i, c := range e.k.consts {
		if c == name {
			return e.s.reg(e.cb + i)
		}
	}
	panic("no operand " + name)
}

// op emits dst = x OP y (Intel operand order: y may be a memory operand).
func (e *emitter) op(op, dst, x, y string) {
	e.p("V%s%s %s, %s, %s", op, e.ps(), e.r(y), e.r(x), e.r(dst))
}

func (e *emitter) mul(dst, x, y string) { e.op("MUL", dst, x, y) }
func (e *emitter) add(dst, x, y string) { e.op("ADD", dst, x, y) }
func (e *emitter) sub(dst, x, y string) { e.op("SUB", dst, x, y) }
func (e *emitter) div(dst, x, y string) { e.op("DIV", dst, x, y) }

// bit emits a bitwise AND, OR or XOR (AVX-512F has only the integer forms
// for 512-bit vectors).
func (e *emitter) bit(op, dst, x, y string) {
	if e.s.zmm {
		w := "D"
		if e.f64 {
			w = "Q"
		}
		e.p("VP%s%s %s, %s, %s", op, w, e.r(y), e.r(x), e.r(dst))
		return
	}
	e.p("V%s%s %s, %s, %s", op, e.ps(), e.r(y), e.r(x), e.r(dst))
}

func (e *emitter) sqrt(dst, x string) { e.p("VSQRT%s %s, %s", e.ps(), e.r(x), e.r(dst)) }

func (e *emitter) load(dst, ptr string) { e.p("VMOVU%s %s, %s", e.ps(), e.r("*"+ptr), e.r(dst)) }

func (e *emitter) store(ptr, src string) { e.p("VMOVU%s %s, %s", e.ps(), e.r(src), e.r("*"+ptr)) }

// goMax emits dst = Go's max(a, dst) (NaN if either is NaN; max(-0, +0) is
// +0) with scratch s1, s2; a already holds the other operand. MAXPS returns
// its second source when both are zero or either is NaN, so the two orders
// agree except there: AND of the two gives +0 unless both are -0, and an
// unordered pair gets all ones or a|dst (a NaN).
func (e *emitter) goMax(dst, a, s1, s2 string) {
	e.op("MAX", s1, a, dst)
	e.op("MAX", s2, dst, a)
	e.bit("AND", s1, s1, s2)
	if e.s.zmm {
		e.p("VCMP%s $3, %s, %s, K1", e.ps(), e.r(dst), e.r(a))
		w := "D"
		if e.f64 {
			w = "Q"
		}
		e.p("VPOR%s %s, %s, K1, %s", w, e.r(dst), e.r(a), e.r(s1))
		e.p("VMOVA%s %s, %s", e.ps(), e.r(s1), e.r(dst))
		return
	}
	e.p("VCMP%s $3, %s, %s, %s", e.ps(), e.r(dst), e.r(a), e.r(s2))
	e.bit("OR", dst, s1, s2)
}

// The bodies: one Go statement of the scalar kernels per line or two. d is
// the gradient after maximize (an XOR with sign, which is -0 or +0) and
// weight decay.
var kernels = []*kernel{
	{
		name:   "sgd",
		doc:    "SGD without momentum (optimizers.sgdPlain)",
		ptrs:   []string{"p", "grad"},
		consts: []string{"sign", "wd", "nlr"},
		flags:  []int{fWD},
		temps:  []string{"d", "t", "P"},
		body: func(e *emitter, f int) {
			e.bit("XOR", "d", "sign", "*grad") // d = ±g
			if f&fWD != 0 {
				e.mul("t", "wd", "*p") // d += wd*p
				e.add("d", "d", "t")
			}
			e.mul("t", "nlr", "d") // p += nlr*d
			e.add("P", "t", "*p")
			e.store("p", "P")
		},
	},
	{
		name:   "momentum",
		doc:    "SGD with momentum (optimizers.sgdMomentum)",
		ptrs:   []string{"p", "grad", "b"},
		consts: []string{"sign", "wd", "mom", "damp1", "nlr"},
		flags:  []int{fWD, fFirst, fNesterov},
		temps:  []string{"d", "t", "B", "P"},
		body: func(e *emitter, f int) {
			e.bit("XOR", "d", "sign", "*grad")
			if f&fWD != 0 {
				e.mul("t", "wd", "*p")
				e.add("d", "d", "t")
			}
			buf := "B"
			if f&fFirst != 0 {
				e.store("b", "d") // b = d
				buf = "d"
			} else {
				e.mul("B", "mom", "*b") // b = b*mom + damp1*d
				e.mul("t", "damp1", "d")
				e.add("B", "B", "t")
				e.store("b", "B")
			}
			dir := buf
			if f&fNesterov != 0 {
				e.mul("t", "mom", buf) // d += mom*b
				e.add("d", "d", "t")
				dir = "d"
			}
			e.mul("t", "nlr", dir) // p += nlr*d
			e.add("P", "t", "*p")
			e.store("p", "P")
		},
	},
	{
		name:   "adagrad",
		doc:    "Adagrad (optimizers.adagradKernel)",
		ptrs:   []string{"p", "grad", "sum"},
		consts: []string{"sign", "wd", "nclr", "eps"},
		flags:  []int{fWD},
		temps:  []string{"d", "t", "S", "P"},
		body: func(e *emitter, f int) {
			e.bit("XOR", "d", "sign", "*grad")
			if f&fWD != 0 {
				e.mul("t", "wd", "*p")
				e.add("d", "d", "t")
			}
			e.mul("t", "d", "d") // s = sum + d*d
			e.add("S", "t", "*sum")
			e.store("sum", "S")
			e.sqrt("S", "S") // p += nclr*d / (sqrt(s) + eps)
			e.add("S", "S", "eps")
			e.mul("t", "nclr", "d")
			e.div("t", "t", "S")
			e.add("P", "t", "*p")
			e.store("p", "P")
		},
	},
	{
		name:   "rmsprop",
		doc:    "RMSprop (optimizers.rmspropKernel)",
		ptrs:   []string{"p", "grad", "sq", "b", "ga"},
		consts: []string{"sign", "wd", "alpha", "oma", "eps", "mom", "nlr"},
		flags:  []int{fWD, fMom, fCentered},
		temps:  []string{"d", "t", "S", "G", "P"},
		body: func(e *emitter, f int) {
			e.bit("XOR", "d", "sign", "*grad")
			if f&fWD != 0 {
				e.mul("t", "wd", "*p")
				e.add("d", "d", "t")
			}
			e.mul("S", "alpha", "*sq") // s = sq*alpha + oma*d*d
			e.mul("t", "oma", "d")
			e.mul("t", "t", "d")
			e.add("S", "S", "t")
			e.store("sq", "S")
			if f&fCentered != 0 {
				e.mul("G", "alpha", "*ga") // ga = ga*alpha + oma*d
				e.mul("t", "oma", "d")
				e.add("G", "G", "t")
				e.store("ga", "G")
				e.mul("t", "G", "G") // s += -ga*ga
				e.sub("S", "S", "t")
			}
			e.sqrt("S", "S") // avg = sqrt(s) + eps
			e.add("S", "S", "eps")
			if f&fMom != 0 {
				e.div("t", "d", "S") // b = b*mom + d/avg
				e.mul("G", "mom", "*b")
				e.add("G", "G", "t")
				e.store("b", "G")
				e.mul("t", "nlr", "G") // p += nlr*b
			} else {
				e.mul("t", "nlr", "d") // p += nlr*d / avg
				e.div("t", "t", "S")
			}
			e.add("P", "t", "*p")
			e.store("p", "P")
		},
	},
	{
		name:   "adam",
		doc:    "Adam and AdamW (optimizers.adamKernel)",
		ptrs:   []string{"p", "grad", "m", "v", "vmax"},
		consts: []string{"sign", "wd", "decay", "b1", "omb1", "b2", "omb2", "nstep", "bc2sqrt", "eps"},
		flags:  []int{fWD, fAMS},
		temps:  []string{"d", "t", "S", "P", "M", "V"},
		body: func(e *emitter, f int) {
			e.bit("XOR", "d", "sign", "*grad")
			e.mul("P", "decay", "*p") // p = p*decay
			if f&fWD != 0 {
				e.mul("t", "wd", "P") // d += wd*p
				e.add("d", "d", "t")
			}
			e.mul("M", "b1", "*m") // m = m*b1 + omb1*d
			e.mul("t", "omb1", "d")
			e.add("M", "M", "t")
			e.store("m", "M")
			e.mul("V", "b2", "*v") // v = v*b2 + omb2*d*d
			e.mul("t", "omb2", "d")
			e.mul("t", "t", "d")
			e.add("V", "V", "t")
			e.store("v", "V")
			if f&fAMS != 0 {
				e.load("d", "vmax") // v = max(vmax, v); vmax = v
				e.goMax("V", "d", "t", "S")
				e.store("vmax", "V")
			}
			e.sqrt("S", "V") // p += nstep*m / (sqrt(v)/bc2sqrt + eps)
			e.div("S", "S", "bc2sqrt")
			e.add("S", "S", "eps")
			e.mul("t", "nstep", "M")
			e.div("t", "t", "S")
			e.add("P", "P", "t")
			e.store("p", "P")
		},
	},
}

var out bytes.Buffer

func p(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

func goType(f64 bool) string {
	if f64 {
		return "float64"
	}
	return "float32"
}

func dsfx(f64 bool) string {
	if f64 {
		return "D"
	}
	return "S"
}

// frame returns the argument offsets of a kernel: n, the constants, flags,
// and the frame size.
func frame(k *kernel, f64 bool) (nOff int, cOff []int, flagsOff, size int) {
	es := 4
	if f64 {
		es = 8
	}
	nOff = 8 * len(k.ptrs)
	off := nOff + 8
	for range k.consts {
		cOff = append(cOff, off)
		off += es
	}
	flagsOff = (off + 7) &^ 7
	return nOff, cOff, flagsOff, flagsOff + 8
}

func subsets(flags []int) []int {
	out := []int{0}
	for _, f := range flags {
		for _, s := range out {
			out = append(out, s|f)
		}
	}
	return out
}

func genKernel(k *kernel, s isa, f64 bool) {
	vb := s.vb()
	cb := s.nregs - len(k.consts) // constants in the last registers
	if len(k.temps) > cb {
		panic(k.name + ": too many registers")
	}
	name := k.name + s.name + dsfx(f64)
	nOff, cOff, flagsOff, size := frame(k, f64)
	mask := 0
	for _, f := range k.flags {
		mask |= f
	}
	p("")
	p("// func %s(%s *%s, n int, %s %s, flags int)", name, strings.Join(k.ptrs, ", "), goType(f64), strings.Join(k.consts, ", "), goType(f64))
	p("// %s.", k.doc)
	p("TEXT ·%s(SB), NOSPLIT, $0-%d", name, size)
	for i, ptr := range k.ptrs {
		p("\tMOVQ %s+%d(FP), %s", ptr, 8*i, ptrRegs[i])
	}
	p("\tMOVQ n+%d(FP), CX", nOff)
	if f64 {
		p("\tSHLQ $3, CX")
	} else {
		p("\tSHLQ $2, CX")
	}
	p("\tXORQ AX, AX")
	p("\tTESTQ CX, CX")
	p("\tJLE ret")
	bc := "VBROADCASTSS"
	if f64 {
		bc = "VBROADCASTSD"
	}
	for i, c := range k.consts {
		p("\t%s %s+%d(FP), %s", bc, c, cOff[i], s.reg(cb+i))
	}
	p("\tMOVQ flags+%d(FP), BX", flagsOff)
	p("\tANDQ $%d, BX", mask)
	vars := subsets(k.flags)
	for _, v := range vars[1:] {
		p("\tCMPQ BX, $%d", v)
		p("\tJEQ v%d", v)
	}
	for _, v := range vars {
		p("v%d:", v)
		k.body(&emitter{s: s, f64: f64, k: k, cb: cb, out: &out}, v)
		p("\tADDQ $%d, AX", vb)
		p("\tCMPQ AX, CX")
		p("\tJLT v%d", v)
		p("\tJMP done")
	}
	p("done:")
	p("\tVZEROUPPER")
	p("ret:")
	p("\tRET")
}

// genFinite emits finite<ISA><S|D>(x *T, n int) bool: whether x[:n] holds
// no NaN or Inf. It takes the maximum of the magnitudes' bit patterns
// (sign cleared) over four accumulators and compares it with the largest
// finite value's: exact, and one pass whatever the data.
func genFinite(s isa, f64 bool) {
	vb := s.vb()
	name := "finite" + s.name + dsfx(f64)
	w, shift := "D", 2
	absMask, maxFinite := "$0x7fffffff", "$0x7f7fffff"
	if f64 {
		w, shift = "Q", 3
		absMask, maxFinite = "$0x7fffffffffffffff", "$0x7fefffffffffffff"
	}
	const U = 4
	p("")
	p("// func %s(x *%s, n int) bool", name, goType(f64))
	p("TEXT ·%s(SB), NOSPLIT, $0-17", name)
	p("\tMOVQ x+0(FP), SI")
	p("\tMOVQ n+8(FP), CX")
	p("\tSHLQ $%d, CX", shift)
	p("\tMOVQ CX, DX")
	p("\tANDQ $-%d, DX", U*vb)
	p("\tXORQ AX, AX")
	if f64 {
		p("\tMOVQ %s, BX", absMask)
	} else {
		p("\tMOVL %s, BX", absMask)
	}
	mreg := s.reg(15)
	if s.zmm {
		p("\tVPBROADCAST%s BX, %s", w, mreg)
	} else {
		if f64 {
			p("\tVMOVQ BX, X15")
		} else {
			p("\tVMOVD BX, X15")
		}
		p("\tVPBROADCAST%s X15, %s", w, mreg)
	}
	xor := "VPXOR"
	if s.zmm {
		xor = "VPXORD"
	}
	for i := 0; i < U; i++ {
		p("\t%s %s, %s, %s", xor, s.reg(i), s.reg(i), s.reg(i))
	}
	// acc = max(acc, x & absMask); AVX2 has no VPMAXUQ: for float64 it ORs
	// in (x & absMask) > maxFinite (a signed compare of non-negatives).
	acc := func(i, off int) {
		t := s.reg(4 + i)
		if s.zmm {
			p("\tVPAND%s %d(SI)(AX*1), %s, %s", w, off, mreg, t)
			p("\tVPMAXU%s %s, %s, %s", w, t, s.reg(i), s.reg(i))
			return
		}
		p("\tVPAND %d(SI)(AX*1), %s, %s", off, mreg, t)
		if f64 {
			p("\tVPCMPGTQ %s, %s, %s", s.reg(14), t, t)
			p("\tVPOR %s, %s, %s", t, s.reg(i), s.reg(i))
		} else {
			p("\tVPMAXUD %s, %s, %s", t, s.reg(i), s.reg(i))
		}
	}
	if !s.zmm && f64 {
		p("\tMOVQ %s, BX", maxFinite)
		p("\tVMOVQ BX, X14")
		p("\tVPBROADCASTQ X14, Y14")
	}
	p("\tCMPQ AX, DX")
	p("\tJGE one")
	p("loop:")
	for i := 0; i < U; i++ {
		acc(i, i*vb)
	}
	p("\tADDQ $%d, AX", U*vb)
	p("\tCMPQ AX, DX")
	p("\tJLT loop")
	p("one:")
	p("\tCMPQ AX, CX")
	p("\tJGE done")
	p("loop1:")
	acc(0, 0)
	p("\tADDQ $%d, AX", vb)
	p("\tCMPQ AX, CX")
	p("\tJLT loop1")
	p("done:")
	comb := func(a, b string) {
		switch {
		case s.zmm:
			p("\tVPMAXU%s %s, %s, %s", w, a, b, b)
		case f64:
			p("\tVPOR %s, %s, %s", a, b, b)
		default:
			p("\tVPMAXUD %s, %s, %s", a, b, b)
		}
	}
	comb(s.reg(1), s.reg(0))
	comb(s.reg(3), s.reg(2))
	comb(s.reg(2), s.reg(0))
	switch {
	case s.zmm:
		if f64 {
			p("\tMOVQ %s, BX", maxFinite)
		} else {
			p("\tMOVL %s, BX", maxFinite)
		}
		p("\tVPBROADCAST%s BX, Z1", w)
		p("\tVPCMPU%s $6, Z1, Z0, K1", w) // K1 = Z0 > Z1
		p("\tKORTESTW K1, K1")
	case f64:
		p("\tVPTEST Y0, Y0")
	default:
		p("\tMOVL %s, BX", maxFinite)
		p("\tVMOVD BX, X1")
		p("\tVPBROADCASTD X1, Y1")
		p("\tVPCMPGTD Y1, Y0, Y0") // Y0 > Y1, signed: both non-negative
		p("\tVPTEST Y0, Y0")
	}
	p("\tSETEQ ret+16(FP)")
	p("\tVZEROUPPER")
	p("\tRET")
}

// genSqrt emits sqrt<ISA>S(x *float32, n int): x[i] = sqrt(x[i]) in
// place with VSQRTPS, for the test that checks it against the float64
// square root rounded to float32 (what the scalar kernels compute).
func genSqrt(s isa) {
	vb := s.vb()
	name := "sqrt" + s.name + "S"
	p("")
	p("// func %s(x *float32, n int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-16", name)
	p("\tMOVQ x+0(FP), SI")
	p("\tMOVQ n+8(FP), CX")
	p("\tSHLQ $2, CX")
	p("\tXORQ AX, AX")
	p("\tCMPQ AX, CX")
	p("\tJGE done")
	p("loop:")
	p("\tVSQRTPS (SI)(AX*1), %s", s.reg(0))
	p("\tVMOVUPS %s, (SI)(AX*1)", s.reg(0))
	p("\tADDQ $%d, AX", vb)
	p("\tCMPQ AX, CX")
	p("\tJLT loop")
	p("done:")
	p("\tVZEROUPPER")
	p("\tRET")
}

func main() {
	p("// Code generated by gen_kernels.go; DO NOT EDIT.")
	p("")
	p("//go:build amd64 && !purego")
	p("")
	p("#include \"textflag.h\"")
	isas := []isa{avx512, avx2}
	for _, s := range isas {
		for _, f64 := range []bool{false, true} {
			genFinite(s, f64)
		}
		genSqrt(s)
	}
	for _, k := range kernels {
		for _, s := range isas {
			for _, f64 := range []bool{false, true} {
				genKernel(k, s, f64)
			}
		}
	}
	if err := os.WriteFile("kernels_amd64.s", out.Bytes(), 0o644); err != nil {
		panic(err)
	}

	// Declarations, and the dispatch from a Level to a symbol.
	var amd, other bytes.Buffer
	for _, b := range []*bytes.Buffer{&amd, &other} {
		fmt.Fprintln(b, "// Code generated by gen_kernels.go; DO NOT EDIT.")
		fmt.Fprintln(b)
	}
	fmt.Fprintln(&amd, "//go:build amd64 && !purego")
	fmt.Fprintln(&other, "//go:build !amd64 || purego")
	for _, b := range []*bytes.Buffer{&amd, &other} {
		fmt.Fprintln(b)
		fmt.Fprintln(b, "package vec")
	}
	for _, f64 := range []bool{false, true} {
		T := goType(f64)
		for _, s := range isas {
			fmt.Fprintf(&amd, "\n//go:noescape\nfunc finite%s%s(x *%s, n int) bool\n", s.name, dsfx(f64), T)
		}
		fmt.Fprintf(&amd, "\nfunc finite%s(l Level, x *%s, n int) bool {\n\tif l == AVX512 {\n\t\treturn finiteAVX512%s(x, n)\n\t}\n\treturn finiteAVX2%s(x, n)\n}\n",
			dsfx(f64), T, dsfx(f64), dsfx(f64))
		fmt.Fprintf(&other, "\nfunc finite%s(Level, *%s, int) bool { panic(\"vec: no kernels in this build\") }\n", dsfx(f64), T)
	}
	for _, s := range isas {
		fmt.Fprintf(&amd, "\n//go:noescape\nfunc sqrt%sS(x *float32, n int)\n", s.name)
	}
	fmt.Fprintf(&amd, "\nfunc sqrtS(l Level, x *float32, n int) {\n\tif l == AVX512 {\n\t\tsqrtAVX512S(x, n)\n\t\treturn\n\t}\n\tsqrtAVX2S(x, n)\n}\n")
	fmt.Fprintf(&other, "\nfunc sqrtS(Level, *float32, int) { panic(\"vec: no kernels in this build\") }\n")
	for _, k := range kernels {
		for _, f64 := range []bool{false, true} {
			T := goType(f64)
			params := fmt.Sprintf("%s *%s, n int, %s %s, flags int", strings.Join(k.ptrs, ", "), T, strings.Join(k.consts, ", "), T)
			args := strings.Join(k.ptrs, ", ") + ", n, " + strings.Join(k.consts, ", ") + ", flags"
			for _, s := range isas {
				fmt.Fprintf(&amd, "\n//go:noescape\nfunc %s%s%s(%s)\n", k.name, s.name, dsfx(f64), params)
			}
			fmt.Fprintf(&amd, "\nfunc %s%s(l Level, %s) {\n\tif l == AVX512 {\n\t\t%sAVX512%s(%s)\n\t\treturn\n\t}\n\t%sAVX2%s(%s)\n}\n",
				k.name, dsfx(f64), params, k.name, dsfx(f64), args, k.name, dsfx(f64), args)
			fmt.Fprintf(&other, "\nfunc %s%s(l Level, %s) {\n\tpanic(\"vec: no kernels in this build\")\n}\n", k.name, dsfx(f64), params)
		}
	}
	if err := os.WriteFile("kernels_amd64.go", amd.Bytes(), 0o644); err != nil {
		panic(err)
	}
	if err := os.WriteFile("kernels_other.go", other.Bytes(), 0o644); err != nil {
		panic(err)
	}
}

package gemm

import "fmt"

// Packed is one operand of matrix products, op(A) or op(B), packed once
// in the layout the micro-kernel reads, for several products that share
// it: a convolution multiplies the same weights with the column matrix of
// every group of images, and would otherwise repack them for each.
//
// The layout is the blocked algorithm's: for each block of kc values of
// k (blocks(k, kc), which depends only on k), the rows of op(A) (or the
// columns of op(B)) in slivers of mr (nr), zero-padded. A product with a
// packed operand runs the same micro-kernel calls as without it, so its
// result has the same bits. The zero Packed is empty; PackA and PackB
// reuse its memory. It keeps a reference to the packed matrix for the
// GEMV path (a product with one row or column does not use the packing).
type Packed[T float] struct {
	kn      *kernel[T]
	isB     bool
	t       bool // the matrix is stored transposed (op = ᵀ)
	rows, k int  // op(A) is rows×k, or op(B) is k×rows
	kc, pad int  // k block; rows rounded up to whole slivers
	src     []T
	ld      int
	data    []T
}

// PackA packs op(A) (m×k; A is k×m when tA) for GemmPackedA.
func PackA[T float](p *Packed[T], tA bool, m, k int, a []T, lda int) {
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	if m < 0 || k < 0 || lda < max(1, ac) || !fits(ar, ac, lda, len(a)) {
		panic(fmt.Sprintf("gemm: PackA: %d×%d matrix, lda %d, len %d", ar, ac, lda, len(a)))
	}
	kn := kernelFor[T]()
	p.pack(kn, false, tA, m, k, a, lda, kn.mr)
}

// PackB packs op(B) (k×n; B is n×k when tB) for GemmPackedB.
func PackB[T float](p *Packed[T], tB bool, k, n int, b []T, ldb int) {
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if n < 0 || k < 0 || ldb < max(1, bc) || !fits(br, bc, ldb, len(b)) {
		panic(fmt.Sprintf("gemm: PackB: %d×%d matrix, ldb %d, len %d", br, bc, ldb, len(b)))
	}
	kn := kernelFor[T]()
	p.pack(kn, true, tB, n, k, b, ldb, kn.nr)
}

func (p *Packed[T]) pack(kn *kernel[T], isB, t bool, rows, k int, src []T, ld, w int) {
	p.kn, p.isB, p.t, p.rows, p.k, p.src, p.ld = kn, isB, t, rows, k, src, ld
	if rows == 0 || k == 0 {
		p.kc, p.pad, p.data = 0, 0, p.data[:0]
		return
	}
	p.kc = blocks(k, kn.kc, 1)
	p.pad = (rows + w - 1) / w * w
	p.data = aligned(p.data, p.pad*k)
	pN, pT := kn.packN, kn.packT
	if pN == nil {
		pN = packN[T]
	}
	if pT == nil {
		pT = packT[T]
	}
	for pc := 0; pc < k; pc += p.kc {
		kb := min(p.kc, k-pc)
		dst := p.data[p.pad*pc:]
		// op(A) = A and op(B) = Bᵀ gather rows of the stored matrix
		// (packN); op(A) = Aᵀ and op(B) = B copy row pieces (packT).
		if isB != t {
			pT(dst, src, ld, pc, 0, kb, rows, w)
		} else {
			pN(dst, src, ld, 0, pc, rows, kb, w)
		}
	}
}

// panel returns the packed block starting at k index pc (of kb values),
// from row (A) or column (B) r on; r is a multiple of the sliver width.
func (p *Packed[T]) panel(pc, r, kb int) []T {
	return p.data[p.pad*pc+r*kb:]
}

// GemmPackedA computes C = alpha*op(A)*op(B) + beta*C with op(A) packed by
// PackA (m×k) and op(B) k×n as in Sgemm. It is Sgemm or Dgemm with the
// same arguments, bits included, without packing op(A).
func GemmPackedA[T float](pa *Packed[T], tB bool, n int, alpha T, b []T, ldb int, beta T, c []T, ldc int) {
	if pa.isB {
		panic("gemm: GemmPackedA: the operand was packed by PackB")
	}
	m, k := pa.rows, pa.k
	if err := Check(pa.t, tB, m, n, k, len(pa.src), pa.ld, len(b), ldb, len(c), ldc); err != nil {
		panic(err)
	}
	if pa.kn != kernelFor[T]() || m == 1 || n == 1 || m == 0 || n == 0 || alpha == 0 || k == 0 {
		gemm(kernelFor[T](), pa.t, tB, m, n, k, alpha, pa.src, pa.ld, b, ldb, beta, c, ldc)
		return
	}
	gemmTiles(pa.kn, pa.t, tB, m, n, k, alpha, nil, pa.ld, b, ldb, beta, c, ldc, pa, nil)
}

// GemmPackedB computes C = alpha*op(A)*op(B) + beta*C with op(A) m×k as in
// Sgemm and op(B) packed by PackB (k×n).
func GemmPackedB[T float](tA bool, m int, alpha T, a []T, lda int, pb *Packed[T], beta T, c []T, ldc int) {
	if !pb.isB {
		panic("gemm: GemmPackedB: the operand was packed by PackA")
	}
	n, k := pb.rows, pb.k
	if err := Check(tA, pb.t, m, n, k, len(a), lda, len(pb.src), pb.ld, len(c), ldc); err != nil {
		panic(err)
	}
	if pb.kn != kernelFor[T]() || m == 1 || n == 1 || m == 0 || n == 0 || alpha == 0 || k == 0 {
		gemm(kernelFor[T](), tA, pb.t, m, n, k, alpha, a, lda, pb.src, pb.ld, beta, c, ldc)
		return
	}
	gemmTiles(pb.kn, tA, pb.t, m, n, k, alpha, a, lda, nil, pb.ld, beta, c, ldc, nil, pb)
}

// kernelFor returns the kernel Sgemm or Dgemm uses.
func kernelFor[T float]() *kernel[T] {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(sKernels[0]).(*kernel[T])
	}
	return any(dKernels[0]).(*kernel[T])
}

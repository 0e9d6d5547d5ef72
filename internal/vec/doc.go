// Package vec holds the SIMD kernels of the optimizers' update loops
// (package optimizers): SGD (plain, momentum with dampening, Nesterov),
// Adagrad, RMSprop (plain, centered, momentum), Adam and AdamW (AMSGrad,
// decoupled decay), each with weight decay and maximize, and the NaN/Inf
// check of the gradients, on float32 and float64.
//
// # Contract
//
// Every kernel gives bit-identical results to the scalar Go kernel it
// stands for (optimizers.adamKernelGo, ...): per element the same IEEE
// operations in the same order, each rounded (no FMA), the sign flip of
// maximize as an XOR of the sign bit, Go's max (NaN if either is NaN,
// max(-0, +0) = +0) for AMSGrad. The one change of instruction is the
// float32 square root: the scalar kernels compute
// float32(math.Sqrt(float64(x))), the kernels VSQRTPS; the two agree for
// every float32 (double rounding is innocuous with float64's 53 bits > 2*24+2:
// Figueroa 1995; vec_test.go checks it, and all 2^32 bit patterns with
// -sqrt.all). optimizers/simd_test.go checks every variant against the scalar
// kernels.
//
// A kernel takes its arrays, its scalar factors (computed and rounded by
// the caller) and a Level, processes the leading elements that fill whole
// vectors and returns how many: the caller runs its scalar kernel on the
// rest. With Generic, or a Level the machine lacks (clamped to Best), it
// processes none. Nothing is allocated; nothing is retained.
//
// # Kernels and dispatch
//
// gen_kernels.go (go generate) writes kernels_amd64.s: per kernel, ISA and
// dtype one function whose option bits pick, at entry, one of its
// specialized loops (one vector per iteration, all factors in registers,
// unaligned loads and stores; unrolling gained nothing measurable). At init
// the CPU is probed with
// CPUID/XGETBV:
//
//	level    vectors   needs
//	avx512   512-bit   AVX-512F and the OS saving ZMM and opmask state
//	avx2     256-bit   AVX2 and the OS saving YMM state
//	generic  none      anything else, other GOARCH, -tags purego
//
// # Performance
//
// The kernels run at or above the bandwidth of a copy of the same data:
// float32 updates are bound by memory, float64 Adagrad, RMSprop and Adam by
// the throughput of the vector divider (one or two divisions and a square
// root per element). BenchmarkKernels, 1M elements, medians of 3 on the
// development machine (Sapphire Rapids, 2 vCPUs, shared), GB/s of the bytes
// each kernel reads and writes:
//
//	                copy  finite  sgd  nesterov  adagrad  rmsprop  adam  amsgrad
//	float32 avx512    27      34   43        45       38       39    38       45
//	float32 avx2              28   41        44       38       41    39       45
//	float64 avx512    27      28   38        39       21       22    22       28
//	float64 avx2              28   40        43       23       23    23       29
//
// The levels are about as fast: the divider's throughput per element does
// not depend on the vector width.
package vec

// Package ops adds the layers that gorgonia gets wrong or lacks to
// descent's graph: batch normalisation, 2-D convolution, max and average
// pooling, and dropout. Each is a graph.Op with its gradient next to its
// forward pass, written like graph's own ops (generic kernels over float32
// and float64, backward passes built from other ops).
//
// # Core types
//
//   - BatchNorm (NewBatchNorm, BatchNormConfig): batch normalisation over
//     the channels of [N, C] or [N, C, H, W] inputs, as PyTorch's
//     BatchNorm1d/2d (Ioffe & Szegedy 2015). Parameters <scope>/gamma and
//     <scope>/beta; running statistics in the graph's buffers
//     <scope>/running_mean and <scope>/running_var.
//   - Conv (ConvConfig) and the layer Conv2D (NewConv2D, Conv2DConfig):
//     PyTorch's conv2d, weights in torch's [O, C, kh, kw] layout. float32
//     stride-1 convolutions with K = C·kh·kw >= 128 run on the direct
//     AVX-512 kernels of internal/dconv, image by image (convdirect.go);
//     the others as im2col and matrix products through internal/blas
//     (Chellapilla, Puri & Simard 2006, as Caffe does), one per image or
//     per small group of images (convkernel.go).
//   - MaxPool2D and AvgPool2D (PoolConfig): PyTorch's max_pool2d and
//     avg_pool2d with ceil_mode false (and count_include_pad true).
//   - Dropout: inverted dropout (Srivastava et al. 2014), as torch.nn.Dropout.
//   - HW is a (height, width) pair; Both(n) is (n, n).
//   - Each op has an ONNX form in its Eval behaviour (onnx.go): batch norm
//     is BatchNormalization with the running statistics, dropout Identity,
//     convolution Conv, pooling MaxPool and AveragePool (package export).
//
// # Modes and per-program state
//
// Batch norm and dropout behave differently in graph.Train and graph.Eval,
// and batch norm, convolution, max pooling and dropout keep state between
// their forward and backward passes (batch statistics, im2col scratch,
// argmax, masks). They are graph.Lowerers: every compiled program (mode,
// batch size, gradient request) gets a fresh op instance from Lower, which
// owns that state; memory is allocated on the program's first run and
// reused, so ops allocate nothing per training step (gonum's pure-Go
// BLAS, internal/blas's default, allocates inside its parallel Sgemm for
// large products; the openblas build allocates nothing). Backward ops
// read what the forward instance of their program saved, and take its
// output as an input so that they always run after it. Only what a program needs runs:
// the input gradient of a convolution or batch norm whose input is data
// is never computed.
//
// Batch norm's running statistics belong to the model, not to a program:
// they live in graph buffers shared by every program compiled from the
// graph, so switching modes, compiling for another batch size or
// compiling a new program never resets or forks them (gorgonia's
// BatchNorm resets them when a training VM is built, starts the running
// variance at 0, shares its eval switch between VMs, and gives a wrong
// 4-D eval gradient). In Train mode the batch mean and biased variance
// normalise, the running statistics take the unbiased variance
// (n/(n-1)) with momentum, and dx includes the terms through the batch
// statistics: dx = (g - mean(g) - x̂·mean(g·x̂))·invstd with g = dy·gamma,
// dgamma = Σ dy·x̂, dbeta = Σ dy. One backward op computes the two sums
// (one pass over x and dy), a second dx (one more pass), two tiny ops copy
// dgamma and dbeta out. In Eval mode dx = dy·gamma·invstd of the running
// variance. The running statistics are buffers: they get no gradient.
//
// # Numerics
//
// Kernels compute in the graph's float type. Batch norm's reductions
// accumulate in that type over blocks (256 values of a plane, or 64 rows)
// and in float64 across blocks, and normalise as PyTorch does,
// y = x·a + (beta - mean·a) with a = gamma/sqrt(var + eps). The PyTorch
// golden vectors (../shared/golden, bn_*.json) are reproduced to 1e-9 in
// float64 and 1e-4 in float32 (golden_test.go).
//
// # Errors
//
// Nothing panics on user input. Builders (BatchNorm.Forward, Conv, the
// pools, Dropout) record the first error in the graph (graph.Graph.Err)
// and return a failed node, as graph's builders do; constructors
// (NewBatchNorm, NewConv2D) return an error. Errors wrap graph.ErrShape,
// graph.ErrDType and graph.ErrGraph, or ErrConfig for a hyperparameter out
// of range. Every op's Infer validates the concrete shapes again when a
// program is compiled for a batch size, so Run fails before anything runs:
// that is where batch norm refuses to train on one value per channel
// (N·H·W = 1), with PyTorch's message.
//
// # Where defaults match PyTorch, and where they differ
//
//   - BatchNormConfig's zero value is PyTorch's: eps 1e-5, momentum 0.1 in
//     PyTorch's convention (the weight of the new statistic; Keras uses the
//     opposite), affine, running mean 0 and variance 1. Momentum 0 needs
//     ZeroMomentum (a zero Momentum selects 0.1). PyTorch's momentum=None
//     (cumulative average) and track_running_stats=False are not offered.
//   - Conv2D's initialisation is PyTorch's: kaiming_uniform with
//     a = sqrt(5) for the weight (U(±1/sqrt(fan_in))) and U(±1/sqrt(fan_in))
//     for the bias, fan_in = in·k·k, drawn from the graph's seeded stream
//     (values differ from PyTorch's for the same seed). Padding is
//     symmetric zeros; there is no dilation, no groups, no padding_mode.
//     Parameters are named w and b (PyTorch: weight and bias).
//   - Pooling: the stride defaults to the kernel; padding is at most half
//     the kernel (as PyTorch checks); max pooling pads with -inf, takes
//     the first maximum of a tie and lets NaN win (PyTorch's CPU kernel);
//     average pooling divides by kh·kw (count_include_pad=True). No
//     ceil_mode, dilation or divisor_override.
//   - Dropout: p in [0, 1) (PyTorch also accepts 1); p = 0 returns the
//     input. Masks come from the graph's seeded stream, drawn in each
//     training forward pass: reproducible for a seed, not PyTorch's masks.
//
// # Threads and determinism
//
// The ops split their work over internal/parallel's threads (graph's
// SetThreads): the convolution its groups of images (forward, dx) with
// per-worker scratch, and dW as a sum over a fixed partition of the images
// (at most 16 chunks, whatever the thread count) whose partials are added
// in chunk order; pooling its planes; batch norm its rows or planes for
// the maps and its channels for the sums (each channel's sum, its blocks
// and their order, do not depend on the cut). Dropout stays on one thread:
// its mask is one draw from the graph's stream, in order. So the results
// are bit-identical for any number of threads (split_test.go,
// TestConvThreadsSameBits). The convolution packs its weights once per
// call for the GEMM's micro-kernel (internal/blas.Packed) or the direct
// kernels, not once per group of images. Batch norm on [N, C] runs internal/vec's SIMD kernels
// along the channels (the scalar loops' operations, in their order).
//
// On the im2col path, convolution sums in the graph's float type inside
// the matrix products: db comes out of dW's products (a row of ones
// appended to the column matrix), so it is summed in T like dW, and the
// forward pass adds the bias inside its product likewise. On the direct
// path the bias starts each output's chain of multiply-adds, and db is
// summed with dW, in float64 over dy's planes, chunk by chunk.
//
// # gorgonia's Conv2d and MaxPool2D, tested (gorgonia_test.go)
//
// gorgonia v0.9.18's Conv2d (im2col, matmul, transpose), run on a
// TapeMachine with gorgonia.Grad in float64, agrees with a direct
// convolution and with Conv, forward and backward (dx, dW), to 1e-12 on
// every geometry we tried: 3×3, padding, stride 2, rectangular kernels
// with per-dimension stride and padding, 1×1, kernels as large as the
// padded input. We still use our own: it has a bias, float32 scratch owned
// by the program, and no allocation per step.
//
// gorgonia's MaxPool2D agrees (forward, backward, first maximum on ties)
// on ordinary inputs, but it starts each window at -MaxFloat with index
// -1 and compares with >: a NaN never wins its window (PyTorch propagates
// it); a window of -inf values outputs -MaxFloat64 instead of -inf and
// keeps index -1, and its backward pass then indexes -1 and panics on the
// tape machine's goroutine, killing the process. With explicit asymmetric
// padding (4 values) it offsets the windows by the south/east padding
// instead of the north/west one. Its argmax mask lives in the op, shared
// by every machine that runs the graph. MaxPool2D here follows PyTorch.
package ops

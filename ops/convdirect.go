package ops

import (
	"github.com/descent-ml/descent/internal/dconv"
	"github.com/descent-ml/descent/internal/parallel"
	"github.com/descent-ml/descent/internal/vec"
)

// The direct convolution (internal/dconv): float32 on AVX-512, stride 1,
// no im2col. It takes every pass it can unless a test fixes the images
// per product (group > 0, the im2col path's own tests):
//
//	forward  y  = Forward(x padded, W)                       per image
//	dx       dx = Forward(dy padded by k-1-pad, W turned 180°, channels swapped)   per image
//	dW       dWᵀ += GradW(x padded, dy blocked)             per image, in dwChunks
//
// Each output value is one chain of fused multiply-adds in a fixed order
// wherever its image is computed, so the bits do not depend on the
// number of threads; dW keeps the im2col path's fixed chunks of images
// and their sum in chunk order. The bias starts the forward chains; db
// is summed with dW: each chunk adds its images' planes of dy (vec.Sum,
// in float64) into a float64 partial, and the partials are added in chunk
// order.
//
// For 32→64 5×5 on [128, 32, 14, 14] (MNIST's second layer, one thread,
// BenchmarkConv2D): 85–104 ms with im2col, against 63–74 ms for the first
// direct version (three runs of each build alternating); with the padding
// rows skipped and db summed with dW, 56.7 ms against PyTorch's 53.6 ms
// (medians of eight rounds alternating with bench/torch_batchnorm.py).
//
// The forward kernels store each output tile by scattering its pixels'
// channel vectors into the channel planes: a few hundred cycles per
// tile, against 14·K cycles of products. Every pass takes the direct
// kernels from K ≥ directMinK (K = C·kh·kw; O·kh·kw for dx): MNIST's first
// layer, K = 25, stays on im2col and the GEMM, where its direct dW took
// 24–25 ms against 14–16.
const directMinK = 128

// directShape returns the direct kernels' shape for a stride-1
// convolution of geometry g with O output channels, and whether they run
// it: float32 only (the caller's test), not a 1×1 kernel without padding
// (the GEMM reads the images in place), group == 0.
func directShape(g geom, O, group int) (dconv.Shape, bool) {
	if group != 0 || g.sh != 1 || g.sw != 1 || g.identity() {
		return dconv.Shape{}, false
	}
	s := dconv.Shape{C: g.c, O: O, KH: g.kh, KW: g.kw, HP: g.h + 2*g.ph, WP: g.wp(), PT: g.ph, PB: g.ph}
	return s, dconv.ForwardOK(s)
}

// gradXGeom returns the geometry of dx's direct pass: the output gradient
// [O, oh, ow] padded by kh-1-ph rows and kw-1-pw columns, and whether
// that padding is not negative.
func gradXGeom(g geom, O int) (geom, bool) {
	ph, pw := g.kh-1-g.ph, g.kw-1-g.pw
	if ph < 0 || pw < 0 {
		return geom{}, false
	}
	return newGeom(O, g.oh, g.ow, HW{g.kh, g.kw}, Both(1), HW{ph, pw}), true
}

// padImage returns image x [C, H, W] zero-padded per g, in p's buffer
// (whose border stays zero: only the interior is written), or x itself
// without padding.
func padImage(p *padBuf, g geom, x []float32) []float32 {
	n := g.padded()
	if n == 0 {
		return x
	}
	key := [2]geom{g, {c: -4}} // not a plane's key (padPlane's)
	b := buf[float32](&p.s, g.c*n)
	if p.key != key {
		clear(b)
		p.key = key
	}
	padInterior(b, g, x)
	return b
}

// padInterior copies image x [C, H, W] into the interiors of the padded
// planes b [C, H+2ph, W+2pw] (whose borders the caller keeps zero).
func padInterior(b []float32, g geom, x []float32) {
	n := g.padded()
	for c := range g.c {
		copyRows(b[c*n+g.ph*g.wp()+g.pw:], g.wp(), x[c*g.in():][:g.in()], g.w, g.w, g.h)
	}
}

// directTask runs dconv.Forward on one image per chunk: the forward pass,
// or dx (x is then dy, g its padding). With fewer images than twice the
// threads (batch 1) each image is cut into parts (dconv.ForwardPart), and
// the images are padded once beforehand into padded.
type directTask struct {
	x, y, w, bias []float32
	ws            []convScratch
	g             geom
	s             dconv.Shape
	parts         int
	padded        []float32 // the padded images, when parts > 1
}

func (t *directTask) Do(w, chunk int) {
	n, part := chunk/t.parts, chunk%t.parts
	X, Y := t.g.c*t.g.in(), t.s.O*t.s.P()
	y := t.y[n*Y:][:Y]
	if t.parts > 1 {
		xp := t.x[n*X:][:X]
		if t.padded != nil {
			xp = t.padded[n*t.s.C*t.s.HP*t.s.WP:][:t.s.C*t.s.HP*t.s.WP]
		}
		dconv.ForwardPart(y, xp, t.w, t.bias, t.s, part, t.parts)
		return
	}
	xp := padImage(&t.ws[w].img, t.g, t.x[n*X:][:X])
	// The kernels scatter into the image's output; clearing it first
	// brings its cache lines in with plain stores (32→64 5×5: 61.8 →
	// 59.2 ms, medians of 8 alternating runs).
	clear(y)
	dconv.Forward(y, xp, t.w, t.bias, t.s)
}

// runDirect runs t over N images on the pool; pad holds the padded
// images when they are cut into parts.
func runDirect(t *directTask, ws *[]convScratch, pad *scratch, N int) {
	t.parts = 1
	if th := parallel.Threads(); th > 1 && N < 2*th {
		t.parts = min(4*th, t.s.Blocks()*t.s.OH()) // rows of tiles to share
		if n := t.g.padded(); n > 0 {
			X, size := t.g.c*t.g.in(), t.g.c*n
			t.padded = buf[float32](pad, N*size)
			clear(t.padded)
			for i := range N {
				padInterior(t.padded[i*size:][:size], t.g, t.x[i*X:][:X])
			}
		}
	}
	chunks := N * t.parts
	workers := parallel.Workers(chunks)
	t.ws = workerScratch(ws, workers)
	parallel.Run(t, chunks, workers)
	t.x, t.y, t.ws, t.padded = nil, nil, nil, nil
}

// convForwardDirect is the forward pass with dconv (directShape held).
func convForwardDirect(o *conv, y, x, w, b []float32, N int, g geom, s dconv.Shape) {
	pw := buf[float32](&o.direct, dconv.PackedLen(s)+s.Blocks()*32)
	packed, bias := pw[:dconv.PackedLen(s)], pw[dconv.PackedLen(s):]
	dconv.PackWeights(packed, w, s)
	clear(bias)
	copy(bias, b)
	t := taskOf[directTask](&o.dtask)
	*t = directTask{x: x, y: y, w: packed, bias: bias, g: g, s: s}
	runDirect(t, &o.ws, &o.dpad, N)
}

// convGradXDirect is dx with dconv: the forward kernels over dy padded by
// k-1-pad with the weights turned (gradXGeom and directShape held).
func convGradXDirect(o *convGradX, dx, dy, w []float32, N int, gd geom, s dconv.Shape) {
	pw := buf[float32](&o.direct, dconv.PackedLen(s)+s.Blocks()*32)
	packed, bias := pw[:dconv.PackedLen(s)], pw[dconv.PackedLen(s):]
	dconv.PackWeightsFlipped(packed, w, s)
	clear(bias)
	t := taskOf[directTask](&o.dtask)
	*t = directTask{x: dy, y: dx, w: packed, bias: bias, g: gd, s: s}
	runDirect(t, &o.ws, &o.dpad, N)
}

// gradWDirect sums one chunk of images' dWᵀ into the chunk's partial
// (dwChunks, as the im2col path).
type gradWDirect struct {
	x, dy, parts []float32
	dbParts      []float64 // a partial db per chunk [chunks, O], or nil
	ws           []convScratch
	g            geom
	s            dconv.Shape
	N, per       int
}

func (t *gradWDirect) Do(w, ch int) {
	L, X, Y := dconv.PackedLen(t.s), t.g.c*t.g.in(), t.s.O*t.s.P()
	acc := t.parts[ch*L:][:L]
	clear(acc)
	bl := buf[float32](&t.ws[w].ybuf, t.s.Blocks()*t.s.P()*32)
	var db []float64
	if t.dbParts != nil {
		db = t.dbParts[ch*t.s.O:][:t.s.O]
		clear(db)
	}
	P := t.s.P()
	for n := ch * t.per; n < min(t.N, (ch+1)*t.per); n++ {
		xp := padImage(&t.ws[w].img, t.g, t.x[n*X:][:X])
		dy := t.dy[n*Y:][:Y]
		dconv.Blocked(bl, dy, t.s)
		dconv.GradW(acc, xp, bl, t.s)
		for o := range db {
			plane := dy[o*P:][:P]
			k, s := vec.Sum(vec.Best(), plane)
			for _, v := range plane[k:] {
				s += float64(v)
			}
			db[o] += s
		}
	}
}

// convGradWDirect computes dW, and db with it when o.bias, with dconv
// (directShape and dconv.GradWOK held).
func convGradWDirect(o *convGradW, dw, x, dy []float32, N int, s dconv.Shape) {
	per := dwImages(N)
	chunks := (N + per - 1) / per
	L := dconv.PackedLen(s)
	parts := buf[float32](&o.parts, max(chunks, 1)*L)
	var dbParts []float64
	if o.bias {
		dbParts = buf[float64](&o.dbParts, chunks*s.O)
	}
	t := taskOf[gradWDirect](&o.dtask)
	*t = gradWDirect{x: x, dy: dy, parts: parts, dbParts: dbParts, g: o.g, s: s, N: N, per: per}
	workers := parallel.Workers(chunks)
	t.ws = workerScratch(&o.ws, workers)
	parallel.Run(t, chunks, workers)
	*t = gradWDirect{}
	acc := parts[:L]
	if N == 0 {
		clear(acc)
	}
	sumParts(acc, parts, chunks)
	o.hasDB = o.bias
	if o.bias {
		db := buf[float32](&o.db, s.O)
		for oc := range db {
			sum := 0.0
			for ch := range chunks {
				sum += dbParts[ch*s.O+oc]
			}
			db[oc] = float32(sum)
		}
	}
	K := s.K()
	for o := range s.O {
		b, j := o/32, o%32
		row := dw[o*K:][:K]
		for k := range row {
			row[k] = acc[(b*K+k)*32+j]
		}
	}
}

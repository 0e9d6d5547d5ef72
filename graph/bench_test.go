package graph

import (
	"math"
	"testing"
)

// BenchmarkSoftmax times the softmax and its gradient along the last axis
// of the Transformer benchmark's attention weights ([batch 32, 4 heads,
// 32 queries, 32 keys], float32), and the cross entropy and its gradient
// of the MLP benchmark's logits ([128, 10]), on the calling thread.
func BenchmarkSoftmax(b *testing.B) {
	att := Shape{32, 4, 32, 32}
	x, g, y, out := mustTensor(Float32, att), mustTensor(Float32, att), mustTensor(Float32, att), mustTensor(Float32, att)
	for i := range x.f32 {
		x.f32[i] = float32(i%13)*0.4 - 2.4
		g.f32[i] = float32(i%7)*0.01 - 0.03
	}
	if err := (softmaxOp{axis: -1}).Forward(&Context{}, y, []*Tensor{x}); err != nil {
		b.Fatal(err)
	}
	logits, lossOut, dl := mustTensor(Float32, Shape{128, 10}), mustTensor(Float32, Shape{}), mustTensor(Float32, Shape{128, 10})
	for i := range logits.f32 {
		logits.f32[i] = float32(i%11)*0.3 - 1.5
	}
	labels := &Tensor{dtype: Int, shape: Shape{128}, ints: make([]int, 128)}
	for i := range labels.ints {
		labels.ints[i] = i % 10
	}
	one := mustTensor(Float32, Shape{})
	one.f32[0] = 1
	for _, c := range []struct {
		name string
		op   Op
		out  *Tensor
		in   []*Tensor
	}{
		{"attention/forward", softmaxOp{axis: -1}, out, []*Tensor{x}},
		{"attention/backward", softmaxGradOp{axis: -1}, out, []*Tensor{y, g}},
		{"cross-entropy/forward", crossEntropyOp{}, lossOut, []*Tensor{logits, labels}},
		{"cross-entropy/backward", crossEntropyGradOp{}, dl, []*Tensor{logits, labels, one}},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer oneThread(b)()
			ctx := &Context{}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.op.Forward(ctx, c.out, c.in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.in[0].Len()), "ns/element")
		})
	}
}

// BenchmarkScale times a constant times the Transformer's attention scores
// ([32, 4, 32, 32], float32; the 1/√d of attention), on the calling
// thread.
func BenchmarkScale(b *testing.B) {
	defer oneThread(b)()
	att := Shape{32, 4, 32, 32}
	x, out := mustTensor(Float32, att), mustTensor(Float32, att)
	for i := range x.f32 {
		x.f32[i] = float32(i%13) - 6
	}
	ctx, in := &Context{}, []*Tensor{x}
	b.ReportAllocs()
	for b.Loop() {
		if err := (scaleOp{c: 0.125}).Forward(ctx, out, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Len()), "ns/element")
}

// BenchmarkWhere times a key-padding mask applied to the Transformer's
// attention scores (Where of an Int mask [32, 1, 1, 32] broadcast against
// [32, 4, 32, 32], the masked entries set to -Inf), on the calling thread.
func BenchmarkWhere(b *testing.B) {
	defer oneThread(b)()
	att := Shape{32, 4, 32, 32}
	x, out := mustTensor(Float32, att), mustTensor(Float32, att)
	mask := &Tensor{dtype: Int, shape: Shape{32, 1, 1, 32}, ints: make([]int, 32*32)}
	for i := range mask.ints {
		if i%32 >= 24 {
			mask.ints[i] = 1
		}
	}
	fill := mustTensor(Float32, Shape{})
	fill.f32[0] = float32(math.Inf(-1))
	ctx, in := &Context{}, []*Tensor{mask, fill, x}
	b.ReportAllocs()
	for b.Loop() {
		if err := (whereOp{}).Forward(ctx, out, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Len()), "ns/element")
}

// oneThread sets one thread for a benchmark and returns the function that
// restores the default.
func oneThread(b *testing.B) func() {
	if err := SetThreads(1); err != nil {
		b.Fatal(err)
	}
	return func() { SetThreads(0) }
}

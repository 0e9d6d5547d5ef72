package ops

import "github.com/descent-ml/descent/graph"

// The fused gradient ops of batch norm, convolution and max pooling have no
// second derivative: their Backward says so, so a Grad of a Grad through
// them fails with graph.ErrSecondOrder instead of taking them as constants.

func (o *bnReduce) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("BatchNorm")
}

func (o *bnGradX) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("BatchNorm")
}

func (o rowOf) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("BatchNorm")
}

func (o *convGradX) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("Conv2D")
}

func (o *convGradW) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("Conv2D")
}

func (o *convGradB) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("Conv2D")
}

func (o *maxPoolGrad) Backward(*graph.Builder, []*graph.Sym, *graph.Sym, *graph.Sym) ([]*graph.Sym, error) {
	return nil, graph.NoSecondOrder("MaxPool2D")
}

package data

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// Standardizer rescales each feature to zero mean and unit variance:
// x' = (x - Mean) / Scale. Fit it on the training split only and Apply it
// to the training, validation and test splits, so no statistic leaks from
// held-out data.
//
// Scale is the population standard deviation (divisor N, as scikit-learn's
// StandardScaler); a constant feature gets Scale 1, so it becomes 0 rather
// than NaN. The fields are exported so a fitted Standardizer can be saved
// with a model.
type Standardizer struct {
	Mean  []float64
	Scale []float64
}

// Fit computes each feature's mean and standard deviation over ds.X (every
// value of X after the first dimension is a feature).
func (s *Standardizer) Fit(ds *Dataset) error {
	if ds == nil || ds.X == nil || !ds.X.DType().IsFloat() || ds.X.Shape().Rank() < 2 {
		return invalid("Standardizer.Fit", "want a dataset with a float X of shape [N, features...]")
	}
	n, w := ds.Len(), ds.Features()
	mean := make([]float64, w)
	scale := make([]float64, w)
	x := ds.X
	for i := range n {
		for j := range w {
			mean[j] += x.At(i*w + j)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := range n { // two passes: no cancellation for large means
		for j := range w {
			d := x.At(i*w+j) - mean[j]
			scale[j] += d * d
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j] / float64(n))
		if scale[j] == 0 || math.IsNaN(scale[j]) {
			scale[j] = 1
		}
	}
	s.Mean, s.Scale = mean, scale
	return nil
}

// Apply returns a copy of ds whose X is standardised; ds is not modified.
func (s *Standardizer) Apply(ds *Dataset) (*Dataset, error) {
	const fn = "Standardizer.Apply"
	if len(s.Mean) == 0 || len(s.Mean) != len(s.Scale) {
		return nil, invalid(fn, "standardizer is not fitted (%d means, %d scales)", len(s.Mean), len(s.Scale))
	}
	if ds == nil || ds.X == nil || !ds.X.DType().IsFloat() || ds.X.Shape().Rank() < 2 {
		return nil, invalid(fn, "want a dataset with a float X of shape [N, features...]")
	}
	if w := ds.Features(); w != len(s.Mean) {
		return nil, invalid(fn, "dataset %q has %d features (want %d, as fitted)", ds.Name, w, len(s.Mean))
	}
	out := ds.Clone()
	switch out.X.DType() {
	case graph.Float32:
		standardize(f32s(out.X), s.Mean, s.Scale)
	case graph.Float64:
		standardize(f64s(out.X), s.Mean, s.Scale)
	default:
		return nil, fmt.Errorf("data: %s: %w: X dtype %v", fn, ErrFormat, out.X.DType())
	}
	return out, nil
}

func standardize[T float32 | float64](x []T, mean, scale []float64) {
	w := len(mean)
	for i := range x {
		j := i % w
		x[i] = T((float64(x[i]) - mean[j]) / scale[j])
	}
}

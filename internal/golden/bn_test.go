package golden_test

import (
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/ops"
)

// bnLayer adapts ops.BatchNorm to models.Module.
type bnLayer struct{ *ops.BatchNorm }

// batchNormLayer builds a golden batchnorm1d layer from its recorded
// gamma, beta and running statistics.
func batchNormLayer(s graph.Scope, key string, c int, eps, momentum float64,
	set func(string, *graph.Param, golden.Array) error, gamma, beta, mean, variance golden.Array) (models.Module, error) {
	cfg := ops.BatchNormConfig{Eps: eps, Momentum: momentum, ZeroMomentum: momentum == 0}
	bn, err := ops.NewBatchNorm(s, c, cfg)
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		name string
		p    *graph.Param
		a    golden.Array
	}{
		{"gamma", bn.Gamma().Param(), gamma}, {"beta", bn.Beta().Param(), beta},
		{"running_mean", bn.Buffers()[0], mean}, {"running_var", bn.Buffers()[1], variance},
	} {
		if err := set(key+x.name, x.p, x.a); err != nil {
			return nil, err
		}
	}
	return bnLayer{bn}, nil
}

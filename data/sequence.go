package data

import (
	"github.com/descent-ml/descent/graph"
)

// RecallConfig configures Recall.
type RecallConfig struct {
	N              int    // examples (default 10000)
	Vocab          int    // tokens 1..Vocab (default 16); 0 is padding
	MinLen, MaxLen int    // length of the searched sequence (default 16..32)
	Seed           uint64 // the draw
}

// Recall draws the associative-recall task: a query token followed by a
// sequence of MinLen..MaxLen tokens; the label is 1 when the query occurs
// in the sequence and 0 when it does not (half of each, at random). X is
// Int [N, MaxLen+1] padded with 0 at the end; the set is a Sequence set.
//
// Attention solves it in one step (the query looks for its own token);
// an MLP on the padded one-hot tokens must learn an equality test for
// every position and token, and stays near chance: see the README's
// Transformer demonstration.
func Recall(cfg RecallConfig) (*Dataset, error) {
	const fn = "Recall"
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.N, 10000)
	def(&cfg.Vocab, 16)
	def(&cfg.MinLen, 16)
	def(&cfg.MaxLen, 32)
	switch {
	case cfg.N < 1 || cfg.Vocab < 2 || cfg.MinLen < 1 || cfg.MaxLen < cfg.MinLen:
		return nil, invalid(fn, "N %d, vocab %d, lengths %d..%d (want N >= 1, vocab >= 2, 1 <= MinLen <= MaxLen)", cfg.N, cfg.Vocab, cfg.MinLen, cfg.MaxLen)
	case cfg.MaxLen > 1<<16:
		return nil, invalid(fn, "MaxLen %d (want at most %d)", cfg.MaxLen, 1<<16)
	}
	rng, _ := newRand(cfg.Seed)
	t := cfg.MaxLen + 1
	x := make([]int, cfg.N*t)
	y := make([]int, cfg.N)
	for i := 0; i < cfg.N; i++ {
		row := x[i*t : (i+1)*t]
		l := cfg.MinLen + rng.IntN(cfg.MaxLen-cfg.MinLen+1)
		q := 1 + rng.IntN(cfg.Vocab)
		row[0] = q
		for j := 1; j <= l; j++ {
			tok := 1 + rng.IntN(cfg.Vocab-1) // any token but q
			if tok >= q {
				tok++
			}
			row[j] = tok
		}
		if rng.IntN(2) == 1 {
			row[1+rng.IntN(l)] = q
			y[i] = 1
		}
	}
	xt, err := graph.FromInts(x, cfg.N, t)
	if err != nil {
		return nil, err
	}
	yt, err := graph.FromInts(y, cfg.N)
	if err != nil {
		return nil, err
	}
	return &Dataset{Name: "seq:recall", X: xt, Y: yt, Classes: 2, Sequence: true}, nil
}

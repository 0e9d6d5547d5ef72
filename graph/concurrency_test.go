package graph

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Programs of one graph may evaluate concurrently (each owns its buffers;
// they read the shared parameters); run with -race.
func TestConcurrentEvalPrograms(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 4)
	w := g.Param("w", []int{4, 3}, GlorotUniform{})
	out := Softmax(Tanh(MatMul(x, w)), -1)
	require.NoError(t, g.Err())
	progs := make([]*Program, 4)
	for i := range progs {
		p, err := g.Compile(nil, out)
		require.NoError(t, err)
		progs[i] = p
	}
	xs := randTensor(1, -1, 1, 5, 4)
	require.NoError(t, progs[0].Run(Eval, false, Feeds{x: xs}))
	want := progs[0].Output(out).Values()
	var wg sync.WaitGroup
	for _, p := range progs {
		wg.Add(1)
		go func(p *Program) {
			defer wg.Done()
			for range 50 {
				if err := p.Run(Eval, false, Feeds{x: xs}); err != nil {
					t.Error(err)
					return
				}
				if got := p.Output(out).Values(); !equal(got, want) {
					t.Error("concurrent evaluation changed the result")
					return
				}
			}
		}(p)
	}
	wg.Wait()
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Two training runs on one graph at once would race on its buffers and
// random stream: the second is refused with ErrBusy.
func TestConcurrentTrainingRunsRefused(t *testing.T) {
	g := newGraph64(t)
	x := g.Input("x", Batch, 4)
	w := g.Param("w", []int{4, 3}, GlorotUniform{})
	loss := Sum(Square(MatMul(x, w)))
	require.NoError(t, g.Err())
	p1, err := g.Compile(loss)
	require.NoError(t, err)
	p2, err := g.Compile(loss)
	require.NoError(t, err)
	xs := randTensor(1, -1, 1, 256, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := 0
	for _, p := range []*Program{p1, p2} {
		wg.Add(1)
		go func(p *Program) {
			defer wg.Done()
			for range 200 {
				_, err := p.TrainStep(Feeds{x: xs})
				if errors.Is(err, ErrBusy) {
					mu.Lock()
					busy++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}
		}(p)
	}
	wg.Wait()
	t.Logf("%d of 400 training runs found the graph busy", busy)
	// A claim is exclusive.
	release, err := g.Claim("first")
	require.NoError(t, err)
	_, err = g.Claim("second")
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorContains(t, err, "already stepped by first")
	release()
	release()
	_, err = g.Claim("third")
	require.NoError(t, err)
}

package data

import (
	"slices"
	"strconv"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

// countingSet has n examples of 2 features (10i, 10i+1) and label i % 3.
func countingSet(t testing.TB, n int) *Dataset {
	t.Helper()
	x := make([]float64, 2*n)
	labels := make([]int, n)
	for i := range n {
		x[2*i], x[2*i+1] = float64(10*i), float64(10*i+1)
		labels[i] = i % 3
	}
	xt, err := graph.FromFloat64(x, n, 2)
	require.NoError(t, err)
	yt, err := graph.FromInts(labels, n)
	require.NoError(t, err)
	ds, err := NewDataset("count", xt, yt, 3)
	require.NoError(t, err)
	return ds
}

// epoch runs one epoch and returns the batch sizes and the indices seen,
// checking each batch's content against its indices.
func epoch(t *testing.T, b *Batcher, ds *Dataset) (sizes []int, seen []int) {
	t.Helper()
	for b.Next() {
		x, y := b.Batch()
		idx := b.Indices()
		require.Equal(t, len(idx), x.Shape()[0])
		require.Equal(t, len(idx), y.Shape()[0])
		for r, i := range idx {
			require.Equal(t, ds.X.At(2*i), x.At(2*r))
			require.Equal(t, ds.X.At(2*i+1), x.At(2*r+1))
			require.Equal(t, intsOf(t, ds.Y)[i], intsOf(t, y)[r])
		}
		sizes = append(sizes, len(idx))
		seen = append(seen, idx...)
	}
	x, y := b.Batch()
	require.Nil(t, x)
	require.Nil(t, y)
	return sizes, seen
}

func TestBatcherSizes(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		cfg   BatchConfig
		sizes []int
	}{
		{"partial kept", 10, BatchConfig{Size: 3}, []int{3, 3, 3, 1}},
		{"partial dropped", 10, BatchConfig{Size: 3, DropLast: true}, []int{3, 3, 3}},
		{"exact", 9, BatchConfig{Size: 3, DropLast: true}, []int{3, 3, 3}},
		{"size 1", 3, BatchConfig{Size: 1, Shuffle: true}, []int{1, 1, 1}},
		{"full batch", 5, BatchConfig{Size: 128}, []int{5}},
		{"full batch, drop last", 5, BatchConfig{Size: 128, DropLast: true, Shuffle: true}, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := countingSet(t, tt.n)
			b, err := NewBatcher(ds, tt.cfg)
			require.NoError(t, err)
			require.Equal(t, len(tt.sizes), b.BatchesPerEpoch())
			require.Equal(t, tt.sizes[0], b.BatchSize())
			for e := 1; e <= 3; e++ {
				sizes, seen := epoch(t, b, ds)
				require.Equal(t, tt.sizes, sizes)
				require.Equal(t, e, b.Epoch())
				if !tt.cfg.DropLast {
					slices.Sort(seen)
					require.Equal(t, ds.Len(), len(seen))
					for i, v := range seen {
						require.Equal(t, i, v, "each example once per epoch")
					}
				}
			}
		})
	}
}

func TestBatcherOrder(t *testing.T) {
	ds := countingSet(t, 20)
	plain, err := NewBatcher(ds, BatchConfig{Size: 6})
	require.NoError(t, err)
	_, seen := epoch(t, plain, ds)
	require.True(t, slices.IsSorted(seen), "no shuffle keeps the dataset order")

	run := func(seed uint64) [][]int {
		b, err := NewBatcher(ds, BatchConfig{Size: 6, Shuffle: true, Seed: seed})
		require.NoError(t, err)
		var orders [][]int
		for range 3 {
			_, seen := epoch(t, b, ds)
			orders = append(orders, seen)
		}
		return orders
	}
	a, again, other := run(1), run(1), run(2)
	require.Equal(t, a, again, "same seed, same batches")
	require.NotEqual(t, a, other)
	require.NotEqual(t, a[0], a[1], "a new order each epoch")
	require.False(t, slices.IsSorted(a[0]))
}

func TestBatcherRegression(t *testing.T) {
	ds, _, err := NoisyLinear(LinearConfig{N: 7, Features: 3, Seed: 1})
	require.NoError(t, err)
	b, err := NewBatcher(ds, BatchConfig{Size: 4, Shuffle: true, Seed: 5})
	require.NoError(t, err)
	require.True(t, b.Next())
	x, y := b.Batch()
	require.Equal(t, graph.Shape{4, 3}, x.Shape())
	require.Equal(t, graph.Shape{4, 1}, y.Shape())
	i := b.Indices()[2]
	require.Equal(t, f32Of(t, ds.Y)[i], f32Of(t, y)[2])
	require.Equal(t, f32Of(t, ds.X)[3*i:3*i+3], f32Of(t, x)[6:9])
	require.True(t, b.Next())
	x, _ = b.Batch()
	require.Equal(t, graph.Shape{3, 3}, x.Shape())
	require.False(t, b.Next())
}

func TestBatcherReset(t *testing.T) {
	ds := countingSet(t, 10)
	b, err := NewBatcher(ds, BatchConfig{Size: 4})
	require.NoError(t, err)
	require.True(t, b.Next())
	b.Reset()
	x, _ := b.Batch()
	require.Nil(t, x)
	require.Equal(t, 1, b.Epoch())
	sizes, _ := epoch(t, b, ds)
	require.Equal(t, []int{4, 4, 2}, sizes)
	require.Equal(t, 2, b.Epoch())
}

func TestBatcherResume(t *testing.T) {
	ds := countingSet(t, 23)
	cfg := BatchConfig{Size: 5, Shuffle: true, Seed: 42}

	// The uninterrupted run: 4 epochs of 5 batches, as a flat list.
	ref, err := NewBatcher(ds, cfg)
	require.NoError(t, err)
	var want [][]int
	for range 4 {
		for ref.Next() {
			want = append(want, slices.Clone(ref.Indices()))
		}
	}

	// Save after k batches (k = 0: before anything; 5: at the end of epoch
	// 1 before Next reports it; mid-epoch values), restore into a fresh
	// Batcher and continue.
	for _, stop := range []struct {
		batches    int
		endOfEpoch bool // also consume Next's false
	}{{0, false}, {2, false}, {5, false}, {5, true}, {12, false}, {15, true}} {
		b, err := NewBatcher(ds, cfg)
		require.NoError(t, err)
		var got [][]int
		for len(got) < stop.batches {
			if b.Next() {
				got = append(got, slices.Clone(b.Indices()))
			}
		}
		if stop.endOfEpoch {
			require.False(t, b.Next())
		}
		state, err := b.State()
		require.NoError(t, err)

		resumed, err := NewBatcher(ds, cfg)
		require.NoError(t, err)
		require.NoError(t, resumed.SetState(state))
		require.Equal(t, b.Epoch(), resumed.Epoch())
		for len(got) < len(want) {
			if resumed.Next() {
				got = append(got, slices.Clone(resumed.Indices()))
			}
		}
		require.Equal(t, want, got, "resumed after %d batches", stop.batches)
	}
}

func TestBatcherErrors(t *testing.T) {
	ds := countingSet(t, 5)
	for _, size := range []int{0, -1} {
		_, err := NewBatcher(ds, BatchConfig{Size: size})
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, "want >= 1")
	}
	_, err := NewBatcher(&Dataset{}, BatchConfig{Size: 1})
	require.ErrorIs(t, err, ErrFormat)

	b, err := NewBatcher(ds, BatchConfig{Size: 2})
	require.NoError(t, err)
	good, err := b.State()
	require.NoError(t, err)
	for _, s := range []BatcherState{
		{Epoch: -1, RNG: good.RNG},
		{Epoch: 1, Pos: 6, RNG: good.RNG},
		{Epoch: 0, Pos: 1, RNG: good.RNG},
		{Epoch: 1, Pos: 0, RNG: []byte("junk")},
	} {
		require.ErrorIs(t, b.SetState(s), ErrInvalid, "%+v", s)
	}
}

func TestBatcherNextDoesNotAllocate(t *testing.T) {
	ds := countingSet(t, 1000)
	b, err := NewBatcher(ds, BatchConfig{Size: 64, Shuffle: true, Seed: 1})
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		if !b.Next() {
			b.Next()
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkBatcherNext(b *testing.B) {
	ds := countingSet(b, 60000)
	x, err := graph.NewTensor(graph.Float32, 60000, 784)
	require.NoError(b, err)
	ds.X = x // MNIST-sized rows
	for _, size := range []int{32, 128, 1024} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			bt, err := NewBatcher(ds, BatchConfig{Size: size, Shuffle: true, Seed: 1})
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if !bt.Next() {
					bt.Next()
				}
			}
			b.ReportMetric(float64(size*784*4), "bytes/batch")
		})
	}
}

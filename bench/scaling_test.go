package bench

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

func TestScaling(t *testing.T) {
	rows, err := Scaling(context.Background(), ScalingConfig{Workloads: []string{"sgemm-512", "mlp-step"}, Threads: []int{2, 1}, MinTime: 20 * time.Millisecond, Repeats: 3})
	require.NoError(t, err)
	require.Len(t, rows, 4)
	for i, r := range rows {
		require.Equal(t, 1+i%2, r.Threads, "thread counts ascending within a workload")
		require.Positive(t, r.Median)
		require.LessOrEqual(t, r.Min, r.Median)
		require.LessOrEqual(t, r.Median, r.Max)
	}
	require.InDelta(t, 1, rows[0].Speedup, 1e-12, "the first thread count is the base")
	var buf bytes.Buffer
	require.NoError(t, WriteScaling(&buf, rows))
	require.Contains(t, buf.String(), "speed-up")
	require.Contains(t, buf.String(), "mlp-step")

	_, err = Scaling(context.Background(), ScalingConfig{Workloads: []string{"nope"}})
	require.ErrorContains(t, err, "unknown workload")
	_, err = Scaling(context.Background(), ScalingConfig{Threads: []int{0}})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Scaling(ctx, ScalingConfig{Workloads: []string{"sgemm-512"}, MinTime: time.Millisecond})
	require.ErrorIs(t, err, context.Canceled)
}

// BenchmarkScaling times the scaling workloads at 1..GOMAXPROCS threads
// (graph.SetThreads; -cpu sets GOMAXPROCS). benchstat's ratios between
// the threads=N rows are the speed-ups; "descent bench scaling" (Scaling)
// prints them directly.
func BenchmarkScaling(b *testing.B) {
	defer graph.SetThreads(0)
	for _, name := range ScalingWorkloads {
		iter, done, err := workloads[name]()
		if err != nil {
			b.Fatal(err)
		}
		for th := 1; th <= runtime.GOMAXPROCS(0); th++ {
			b.Run(fmt.Sprintf("%s/threads=%d", name, th), func(b *testing.B) {
				if err := graph.SetThreads(th); err != nil {
					b.Fatal(err)
				}
				for range 2 {
					if err := iter(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := iter(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed())/1e6/float64(b.N), "ms/iter")
				b.ReportMetric(float64(th), "threads")
			})
		}
		done()
	}
}

package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countTask counts the runs of each chunk and records the workers seen.
type countTask struct {
	runs    []atomic.Int32
	workers int
	bad     atomic.Bool
}

func (t *countTask) Do(w, c int) {
	if w < 0 || w >= t.workers {
		t.bad.Store(true)
	}
	t.runs[c].Add(1)
}

func TestRunEveryChunkOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 5, 16} {
		for _, chunks := range []int{0, 1, 2, 3, 7, 64, 1000} {
			t.Run(fmt.Sprintf("workers=%d/chunks=%d", workers, chunks), func(t *testing.T) {
				task := &countTask{runs: make([]atomic.Int32, chunks), workers: workers}
				Run(task, chunks, workers)
				for c := range task.runs {
					require.Equal(t, int32(1), task.runs[c].Load(), "chunk %d", c)
				}
				assert.False(t, task.bad.Load(), "a worker index outside [0, %d)", workers)
			})
		}
	}
}

// nested runs an inner Run in each chunk: the pool is busy, so the inner
// chunks run on the chunk's goroutine.
type nested struct {
	inner []*countTask
}

func (n *nested) Do(_, c int) { Run(n.inner[c], len(n.inner[c].runs), 4) }

func TestRunNested(t *testing.T) {
	n := &nested{}
	for range 8 {
		n.inner = append(n.inner, &countTask{runs: make([]atomic.Int32, 10), workers: 1})
	}
	Run(n, len(n.inner), 4)
	for i, in := range n.inner {
		for c := range in.runs {
			require.Equal(t, int32(1), in.runs[c].Load(), "inner %d chunk %d", i, c)
		}
		assert.False(t, in.bad.Load(), "inner %d ran on a worker other than 0", i)
	}
}

func TestRunConcurrentCallers(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				task := &countTask{runs: make([]atomic.Int32, 17+g), workers: 3}
				Run(task, len(task.runs), 3)
				for c := range task.runs {
					if task.runs[c].Load() != 1 {
						t.Errorf("goroutine %d: chunk %d ran %d times", g, c, task.runs[c].Load())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestRunPanicReachesCaller(t *testing.T) {
	for _, at := range []int{0, 5, 31} {
		task := Func(func(_, c int) {
			if c == at {
				panic(fmt.Sprintf("chunk %d", c))
			}
		})
		require.PanicsWithValue(t, fmt.Sprintf("chunk %d", at), func() { Run(task, 32, 4) })
	}
	// The pool still works.
	task := &countTask{runs: make([]atomic.Int32, 9), workers: 4}
	Run(task, 9, 4)
	for c := range task.runs {
		require.Equal(t, int32(1), task.runs[c].Load())
	}
}

func TestSplitBounds(t *testing.T) {
	for _, tc := range []struct{ n, grain, chunks int }{{0, 4, 0}, {1, 4, 1}, {4, 4, 1}, {5, 4, 2}, {100, 7, 15}, {3, 0, 3}} {
		require.Equal(t, tc.chunks, Split(tc.n, tc.grain), "Split(%d, %d)", tc.n, tc.grain)
		next := 0
		for c := range tc.chunks {
			lo, hi := Bounds(c, tc.n, tc.grain)
			require.Equal(t, next, lo)
			require.Greater(t, hi, lo)
			next = hi
		}
		require.Equal(t, tc.n, next)
	}
}

func TestThreads(t *testing.T) {
	defer func(f func() int) { gomaxprocs = f }(gomaxprocs)
	defer SetThreads(0)
	gomaxprocs = func() int { return 3 }
	require.NoError(t, SetThreads(0))
	if n, _ := env(); n == 0 {
		require.Equal(t, 3, Threads(), "GOMAXPROCS when nothing is set")
		gomaxprocs = func() int { return 5 }
		require.Equal(t, 5, Threads(), "follows GOMAXPROCS")
	}
	require.NoError(t, SetThreads(7))
	require.Equal(t, 7, Threads())
	require.Equal(t, 7, Workers(100))
	require.Equal(t, 2, Workers(2))
	require.Equal(t, 1, Workers(0))
	for _, n := range []int{-1, MaxThreads + 1} {
		require.Error(t, SetThreads(n))
		require.Equal(t, 7, Threads(), "a refused value changes nothing")
	}
}

func TestParseThreads(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
		ok   bool
	}{{"", 0, true}, {" 4 ", 4, true}, {"1", 1, true}, {"0", 0, false}, {"-2", 0, false}, {"two", 0, false}, {"4x", 0, false}, {"99999", 0, false}} {
		n, err := parseThreads(tc.s)
		require.Equal(t, tc.want, n, "%q", tc.s)
		if tc.ok {
			require.NoError(t, err, "%q", tc.s)
		} else {
			require.ErrorContains(t, err, EnvVar, "%q", tc.s)
		}
	}
}

type sumArgs struct {
	x     []float64
	part  []float64
	grain int
}

func (a sumArgs) Range(lo, hi int) {
	s := 0.0
	for _, v := range a.x[lo:hi] {
		s += v
	}
	a.part[lo/a.grain] = s
}

var sumLoop Loop[sumArgs]

func TestLoopNoAllocation(t *testing.T) {
	defer SetThreads(0)
	x := make([]float64, 10000)
	for i := range x {
		x[i] = 1 / float64(i+1)
	}
	const grain = 512
	part := make([]float64, Split(len(x), grain))
	var first float64
	for _, th := range []int{1, 2, 3} {
		require.NoError(t, SetThreads(th))
		allocs := testing.AllocsPerRun(50, func() {
			sumLoop.For(len(x), grain, sumArgs{x, part, grain})
		})
		require.Zero(t, allocs, "threads %d", th)
		s := 0.0
		for _, v := range part {
			s += v
		}
		if th == 1 {
			first = s
		}
		require.Equal(t, first, s, "threads %d: the fixed partition gives the same sum", th)
	}
}

func BenchmarkRun(b *testing.B) {
	defer SetThreads(0)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			require.NoError(b, SetThreads(th))
			task := Func(func(int, int) {})
			b.ReportAllocs()
			for b.Loop() {
				Run(task, 2, 0)
			}
		})
	}
}

// TestRunIsConcurrent: two chunks on two workers wait for each other, so
// the test passes only if they run at the same time (on any number of
// cores: the wait yields).
func TestRunIsConcurrent(t *testing.T) { requireConcurrent(t) }

func requireConcurrent(t *testing.T) {
	t.Helper()
	var arrived atomic.Int32
	var timedOut atomic.Bool
	task := Func(func(_, _ int) {
		arrived.Add(1)
		deadline := time.Now().Add(5 * time.Second)
		for arrived.Load() < 2 {
			if time.Now().After(deadline) {
				timedOut.Store(true)
				return
			}
			runtime.Gosched()
		}
	})
	for range 20 {
		arrived.Store(0)
		Run(task, 2, 2)
		require.False(t, timedOut.Load(), "the two chunks did not run concurrently")
	}
}

// BenchmarkRunAfterGap times a Run of two tiny chunks after the caller has
// worked alone for a while: the latency a training step pays per split op,
// with the workers spinning (gaps shorter than spinTime) or parked (the
// longest gap).
func BenchmarkRunAfterGap(b *testing.B) {
	for _, gap := range []time.Duration{0, 20 * time.Microsecond, 200 * time.Microsecond, 2 * spinTime} {
		b.Run(fmt.Sprintf("gap=%v", gap), func(b *testing.B) {
			task := Func(func(int, int) {})
			var inRun time.Duration
			for b.Loop() {
				for t0 := time.Now(); time.Since(t0) < gap; {
				}
				t0 := time.Now()
				Run(task, 2, 2)
				inRun += time.Since(t0)
			}
			b.ReportMetric(float64(inRun.Nanoseconds())/float64(b.N), "ns/run")
		})
	}
}

// TestRunLateHelper: a helper that finishes long after the caller (the
// caller parks, and must be woken).
func TestRunLateHelper(t *testing.T) {
	for range 5 {
		var ran atomic.Int32
		Run(Func(func(w, c int) {
			if c == 1 {
				time.Sleep(5 * time.Millisecond)
			}
			ran.Add(1)
		}), 2, 2)
		require.Equal(t, int32(2), ran.Load())
	}
}

// TestRunDoesNotWaitForAbsentHelper: a helper that wakes after the caller
// has taken every chunk (descheduled, or slow to unpark: 60 µs and more
// under KVM) must not hold the caller back. Run used to wait for every
// helper it had assigned, so an MLP's 40 µs half-products took 120 µs at
// 2 threads; here the helper is held back until Run has returned, which
// it never did before.
func TestRunDoesNotWaitForAbsentHelper(t *testing.T) {
	require.NoError(t, SetThreads(2))
	defer func() { require.NoError(t, SetThreads(0)) }()
	Run(Func(func(int, int) {}), 2, 2) // the helper exists

	release := make(chan struct{})
	held := func() { <-release }
	beforeJoin.Store(&held)
	var byWorker [2]atomic.Int32
	returned := make(chan struct{})
	go func() {
		Run(Func(func(w, _ int) { byWorker[w].Add(1) }), 2, 2)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		beforeJoin.Store(nil)
		close(release)
		t.Fatal("Run waited for a helper that had not joined its job")
	}
	beforeJoin.Store(nil)
	close(release)
	require.Equal(t, int32(2), byWorker[0].Load(), "the caller ran both chunks")
	require.Equal(t, int32(0), byWorker[1].Load())

	// The late helper finds the job closed and takes no chunk of it; the
	// pool goes on working, the helper included.
	for range 20 {
		var ran [8]atomic.Int32
		Run(Func(func(_, c int) { ran[c].Add(1) }), 8, 2)
		for c := range ran {
			require.Equal(t, int32(1), ran[c].Load(), "chunk %d", c)
		}
	}
	requireConcurrent(t)
}

// TestRunHomeRuns: each worker starts on its home run (chunks 0-3 for the
// caller, 4-7 for the helper of 8 chunks on 2 workers), and the chunks of
// a late worker's run are taken by the others: the caller holds its first
// chunk until the helper has started one.
func TestRunHomeRuns(t *testing.T) {
	require.NoError(t, SetThreads(2))
	defer func() { require.NoError(t, SetThreads(0)) }()
	Run(Func(func(int, int) {}), 2, 2) // the helper exists
	for range 5 {
		var mu sync.Mutex
		first := [2]int{-1, -1}
		started := make(chan struct{})
		var once sync.Once
		var ran [8]atomic.Int32
		Run(Func(func(w, c int) {
			mu.Lock()
			if first[w] < 0 {
				first[w] = c
			}
			mu.Unlock()
			if w == 1 {
				once.Do(func() { close(started) })
			}
			if c == 0 {
				select {
				case <-started:
				case <-time.After(5 * time.Second):
				}
			}
			ran[c].Add(1)
		}), 8, 2)
		require.Equal(t, 0, first[0], "the caller's first chunk")
		require.Equal(t, 4, first[1], "the helper's first chunk")
		for c := range ran {
			require.Equal(t, int32(1), ran[c].Load(), "chunk %d", c)
		}
	}
	// A helper held back: the caller takes its run too.
	release := make(chan struct{})
	held := func() { <-release }
	beforeJoin.Store(&held)
	var byWorker [2]atomic.Int32
	Run(Func(func(w, _ int) { byWorker[w].Add(1) }), 8, 2)
	beforeJoin.Store(nil)
	close(release)
	require.Equal(t, int32(8), byWorker[0].Load())
}

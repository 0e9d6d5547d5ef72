package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is work cut into chunks. Do runs chunk c on worker w (0 <= w <
// the workers passed to Run; the caller of Run is worker 0). Chunks may run
// concurrently and in any order; see the package doc for the rules that
// keep results independent of the number of workers.
type Task interface {
	Do(worker, chunk int)
}

// Func adapts a function to Task. A closure that captures variables is
// allocated each time it is created: hot paths implement Task on a reused
// value instead (or use Loop).
type Func func(worker, chunk int)

// Do calls f(worker, chunk).
func (f Func) Do(worker, chunk int) { f(worker, chunk) }

// The process's pool: worker goroutines 1..len(wake), started on demand
// and never stopped (parked on their channel, they cost no CPU).
var p pool

type pool struct {
	busy atomic.Bool // a job is on the pool; it owns wake and job
	wake []chan struct{}
	job  job
}

// job is the one job on the pool (busy); the workers read it after their
// wake-up, the caller after done.
type job struct {
	task    Task
	chunks  int64
	next    atomic.Int64 // next chunk to run
	pending atomic.Int32 // helpers not finished
	done    chan struct{}
	failMu  sync.Mutex
	failed  bool
	panicV  any
}

// run takes chunks until none is left. A panic stops this worker's share
// and is kept for the caller.
func (j *job) run(w int) {
	defer func() {
		if r := recover(); r != nil {
			j.failMu.Lock()
			if !j.failed {
				j.failed, j.panicV = true, r
			}
			j.failMu.Unlock()
		}
	}()
	for {
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			return
		}
		j.task.Do(w, int(c))
	}
}

func (p *pool) work(w int, wake chan struct{}) {
	for range wake {
		j := &p.job
		j.run(w)
		if j.pending.Add(-1) == 0 {
			j.done <- struct{}{}
		}
	}
}

// start makes sure workers 1..n exist; the caller holds busy.
func (p *pool) start(n int) {
	if p.job.done == nil {
		p.job.done = make(chan struct{}, 1)
	}
	for w := len(p.wake) + 1; w <= n; w++ {
		c := make(chan struct{}, 1)
		p.wake = append(p.wake, c)
		go p.work(w, c)
	}
}

// Run runs t.Do for every chunk in [0, chunks) on up to workers workers
// (workers <= 0: Threads()), never more than chunks, the calling goroutine
// being worker 0, and returns when every chunk is done. If the pool is
// busy (Run from inside a chunk, or from another goroutine meanwhile), the
// chunks run serially on the calling goroutine as worker 0. A panic in a
// chunk is re-raised here once every worker has stopped.
func Run(t Task, chunks, workers int) {
	if chunks <= 0 {
		return
	}
	if workers <= 0 {
		workers = Threads()
	}
	workers = min(workers, chunks)
	if workers <= 1 || !p.busy.CompareAndSwap(false, true) {
		for c := range chunks {
			t.Do(0, c)
		}
		return
	}
	p.start(workers - 1)
	j := &p.job
	j.task, j.chunks, j.failed, j.panicV = t, int64(chunks), false, nil
	j.next.Store(0)
	j.pending.Store(int32(workers - 1))
	for w := 1; w < workers; w++ {
		p.wake[w-1] <- struct{}{}
	}
	j.run(0)
	<-j.done
	failed, v := j.failed, j.panicV
	j.task, j.panicV = nil, nil
	p.busy.Store(false)
	if failed {
		panic(v)
	}
}

// Workers returns the number of workers Run(t, chunks, 0) would use now:
// min(Threads(), chunks), at least 1. A caller sizes its per-worker scratch
// with it and passes the same number to Run.
func Workers(chunks int) int {
	return max(1, min(Threads(), chunks))
}

// Split cuts n items into fixed chunks of size grain (the last one
// shorter) and returns the number of chunks. The partition depends only
// on n and grain, never on the number of workers: the partition of a
// reduction. Chunk c is [c·grain, min((c+1)·grain, n)).
func Split(n, grain int) int {
	if n <= 0 {
		return 0
	}
	grain = max(grain, 1)
	return (n + grain - 1) / grain
}

// Bounds returns chunk c of Split(n, grain): [lo, hi).
func Bounds(c, n, grain int) (lo, hi int) {
	grain = max(grain, 1)
	lo = c * grain
	return lo, min(lo+grain, n)
}

// gomaxprocs is a seam for tests.
var gomaxprocs = func() int { return runtime.GOMAXPROCS(0) }

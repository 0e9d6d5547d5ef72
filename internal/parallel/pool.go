package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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

// The process's pool: worker goroutines 1..len(workers), started on
// demand and never stopped.
//
// Waking a parked goroutine costs 5-25 µs (measured here: a futex wake
// under KVM), and 60 µs and more when the wakee's CPU has gone idle, as
// much as a split op saves on a step of the MLP, and a training step runs
// dozens of them back to back. So a worker that finishes a job spins for
// spinTime (yielding its P about every µs, so other goroutines still run)
// watching for the next one, and parks only then; the caller of Run
// likewise spins (yielding) for the helpers, and parks only if they are
// late. OpenMP's runtimes do the same (OMP_WAIT_POLICY, GOMP_SPINCOUNT;
// Intel's KMP_BLOCKTIME spins 200 ms by default).
//
// A helper that wakes late does not hold the caller back: it joins the
// job only while chunks remain (job.join), and the caller, once it has
// taken the last chunk itself, waits only for the helpers that joined.
var p pool

// spinTime is how long an idle worker watches for work before parking:
// longer than the serial stretches between split ops of a training step.
// The MLP step at 2 threads has one of about 150 µs (the loss, the small
// last layer's products, the bias gradients); at 100 µs its next product
// found the helper parked and ran on one thread. MLP step at 2 threads,
// with the join rule, medians of 4 interleaved runs: spinning 100 µs
// 1.25 ms, 300 µs 1.08 ms, 500 µs 1.06 ms, 1 ms 1.01 ms.
const spinTime = 500 * time.Microsecond

// A spinner yields its P (runtime.Gosched) every yieldMask+1 turns, about
// every microsecond.
const yieldMask = 1023

type pool struct {
	busy    atomic.Bool // a job is on the pool; it owns gen, workers and job
	gen     uint64      // jobs dispatched
	workers []*worker
	job     job
	// The caller's mailbox, as a worker's: it parks after spinTime when a
	// helper is late (descheduled on a busy machine: spinning then only
	// takes the CPU the helper needs), and the last helper wakes it.
	callerParked atomic.Bool
	done         chan struct{} // capacity 1
}

// worker is one helper's mailbox. Run stores the job's generation in
// assigned, then wakes the worker if it is parked; the worker sets parked,
// then checks assigned once more before blocking: with sequentially
// consistent atomics one of the two sees the other's store, so no wake-up
// is lost (a stale token in wake only causes a spurious re-check).
type worker struct {
	assigned atomic.Uint64
	parked   atomic.Bool
	wake     chan struct{} // capacity 1
	_        [64]byte      // keep workers' mailboxes on separate cache lines
}

// job is the one job on the pool (busy); a worker reads it after joining
// it, the caller after the helpers that joined have finished.
type job struct {
	task Task
	// The chunks are cut into one home run per worker of the job (parts
	// of them): worker w takes the chunks of run w first, in order, then
	// helps with the others' runs (a helper that wakes late leaves its
	// run to the others). So, call after call, a chunk runs on the same
	// worker unless one is late, and finds the data it touched last time
	// in that worker's cache: an optimizer's update split in 7 ranges took
	// 108 µs at 2 threads instead of 114 µs (medians of 10 paired runs of
	// BenchmarkTrainStep/mlp's opt-us) when the chunks went first come,
	// first served.
	cur   []cursor
	parts int
	// state is the job's generation (high 32 bits), closedBit, and the
	// number of helpers that joined it (low bits). A helper joins by a
	// compare-and-swap that fails once the caller has closed the job or
	// moved on to the next one; finished counts the joined helpers done.
	state    atomic.Uint64
	finished atomic.Uint32
	failMu   sync.Mutex
	failed   bool
	panicV   any
}

const (
	closedBit  = 1 << 31
	joinedMask = closedBit - 1
)

// join makes the calling helper a participant of job generation gen, and
// reports whether it did: false when the caller has already taken every
// chunk and closed the job (the helper woke too late to help) or the job
// is no longer gen.
func (j *job) join(gen uint64) bool {
	for {
		s := j.state.Load()
		if s>>32 != gen&0xffffffff || s&closedBit != 0 {
			return false
		}
		if j.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// close ends the joining (the caller has taken its last chunk, so every
// chunk is claimed) and returns the number of helpers that joined.
func (j *job) close() uint32 {
	return uint32(j.state.Or(closedBit) & joinedMask)
}

// cursor is one home run of chunks: the next one to take, and the end.
type cursor struct {
	next atomic.Int64
	end  int64
	_    [48]byte // one cache line per cursor
}

// run takes chunks until none is left: its home run's first, then the
// other runs' in turn. A panic stops this worker's share and is kept for
// the caller.
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
	for o := range j.parts {
		cu := &j.cur[(w+o)%j.parts]
		for {
			c := cu.next.Add(1) - 1
			if c >= cu.end {
				break
			}
			j.task.Do(w, int(c))
		}
	}
}

func (p *pool) work(w int, wk *worker) {
	var last uint64
	for {
		last = wk.wait(last)
		if h := beforeJoin.Load(); h != nil {
			(*h)()
		}
		j := &p.job
		if !j.join(last) {
			continue
		}
		j.run(w)
		f := j.finished.Add(1)
		if s := j.state.Load(); s&closedBit != 0 && f == uint32(s&joinedMask) && p.callerParked.Load() {
			select {
			case p.done <- struct{}{}:
			default: // a token is already there
			}
		}
	}
}

// waitHelpers returns when every helper of the job has finished: spinning
// for spinTime (yielding now and then: the helpers may need this P),
// then parked until the last one wakes it (the same protocol as a
// worker's; a stale token only causes a re-check).
func (p *pool) waitHelpers() {
	j := &p.job
	joined := j.close()
	var start time.Time
	for i := 0; j.finished.Load() != joined; i++ {
		if i&yieldMask != yieldMask {
			continue
		}
		runtime.Gosched()
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > spinTime {
			p.callerParked.Store(true)
			for j.finished.Load() != joined {
				<-p.done
			}
			p.callerParked.Store(false)
			return
		}
	}
}

// wait returns the next generation assigned after last: spinning for
// spinTime, then parked.
func (wk *worker) wait(last uint64) uint64 {
	var start time.Time
	for i := 0; ; i++ {
		if g := wk.assigned.Load(); g != last {
			return g
		}
		if i&yieldMask == yieldMask {
			// Yield now and then, not at every turn: a Gosched takes the
			// scheduler's lock (a Gosched per turn doubled the latency of
			// a hand-off, and one per 64 turns still took a tenth of an
			// MLP step's CPU time at 2 threads), but a spinner that never
			// yields would hold a P the caller may need (threads >
			// GOMAXPROCS) until the runtime preempts it.
			runtime.Gosched()
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > spinTime {
				break
			}
		}
	}
	wk.parked.Store(true)
	for {
		if g := wk.assigned.Load(); g != last {
			wk.parked.Store(false)
			return g
		}
		<-wk.wake
	}
}

// start makes sure workers 1..n exist; the caller holds busy.
func (p *pool) start(n int) {
	if p.done == nil {
		p.done = make(chan struct{}, 1)
	}
	if len(p.job.cur) < n+1 {
		p.job.cur = make([]cursor, n+1)
	}
	for w := len(p.workers) + 1; w <= n; w++ {
		wk := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, wk)
		go p.work(w, wk)
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
	j.task, j.parts, j.failed, j.panicV = t, workers, false, nil
	for w := range workers {
		j.cur[w].next.Store(int64(chunks * w / workers))
		j.cur[w].end = int64(chunks * (w + 1) / workers)
	}
	j.finished.Store(0)
	p.gen++
	j.state.Store(p.gen << 32)
	for _, wk := range p.workers[:workers-1] {
		wk.assigned.Store(p.gen)
		if wk.parked.Load() {
			select {
			case wk.wake <- struct{}{}:
			default: // a token is already there
			}
		}
	}
	j.run(0)
	p.waitHelpers()
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

// beforeJoin, when set, runs in a helper between its wake-up and its
// joining a job: a seam for tests, to hold a helper back.
var beforeJoin atomic.Pointer[func()]

// gomaxprocs is a seam for tests.
var gomaxprocs = func() int { return runtime.GOMAXPROCS(0) }

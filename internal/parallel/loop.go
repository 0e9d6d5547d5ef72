package parallel

import "sync"

// Ranger is the work of a Loop: Range runs the indices [lo, hi). Its
// receiver is a value holding the arguments (slices, sizes), copied once
// per call of For and once per chunk.
type Ranger interface {
	Range(lo, hi int)
}

// Loop runs a Ranger over the index range [0, n) in parallel without
// allocating: the arguments travel in a task taken from the Loop's free
// list. Declare one Loop per kernel as a package-level variable:
//
//	type scaleArgs struct{ x []float32; s float32 }
//	func (a scaleArgs) Range(lo, hi int) { ... a.x[lo:hi] ... }
//	var scaleLoop parallel.Loop[scaleArgs]
//	scaleLoop.For(len(x), 4096, scaleArgs{x, s})
//
// (A method, not a function value: a generic function instantiated inside
// another generic function is a closure over its dictionary, allocated
// when it escapes into the task. A free list, not a sync.Pool: a pool is
// emptied by the garbage collector, and a training step must not allocate
// after one.)
type Loop[A Ranger] struct {
	mu   sync.Mutex
	free []*loopTask[A]
}

type loopTask[A Ranger] struct {
	args     A
	n, grain int
}

func (t *loopTask[A]) Do(_, c int) {
	lo, hi := Bounds(c, t.n, t.grain)
	t.args.Range(lo, hi)
}

// For calls args.Range(lo, hi) for the chunks [lo, hi) of Split(n,
// grain), on up to Threads() workers, and returns when all are done. The
// chunks are the same for any number of workers, and run in order when
// there is one: Range may write per-chunk partial results that the caller
// combines.
func (l *Loop[A]) For(n, grain int, args A) {
	chunks := Split(n, grain)
	if chunks == 0 {
		return
	}
	t := l.get()
	t.args, t.n, t.grain = args, n, max(grain, 1)
	Run(t, chunks, 0)
	var zero A
	t.args = zero // keep no reference to the caller's memory
	l.put(t)
}

func (l *Loop[A]) get() *loopTask[A] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		t := l.free[n-1]
		l.free = l.free[:n-1]
		return t
	}
	return new(loopTask[A])
}

func (l *Loop[A]) put(t *loopTask[A]) {
	l.mu.Lock()
	l.free = append(l.free, t)
	l.mu.Unlock()
}

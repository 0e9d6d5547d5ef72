package parallel

import "sync"

// Loop runs a function over the index range [0, n) in parallel without
// allocating: the function is a plain (non-capturing) function and its
// arguments, a value of type A, travel in a task taken from the Loop's
// free list. Declare one Loop per kernel as a package-level variable:
//
//	var scaleLoop parallel.Loop[scaleArgs]
//	scaleLoop.For(len(x), 4096, scaleArgs{x, s}, scaleRange)
//
// (A free list rather than a sync.Pool: a pool is emptied by the garbage
// collector, and a training step must not allocate after one.)
type Loop[A any] struct {
	mu   sync.Mutex
	free []*loopTask[A]
}

type loopTask[A any] struct {
	args     A
	fn       func(a *A, lo, hi int)
	n, grain int
}

func (t *loopTask[A]) Do(_, c int) {
	lo, hi := Bounds(c, t.n, t.grain)
	t.fn(&t.args, lo, hi)
}

// For calls fn(&args, lo, hi) for the chunks [lo, hi) of Split(n, grain),
// on up to Threads() workers, and returns when all are done. The chunks
// are the same for any number of workers, and run in order when there is
// one: fn may write per-chunk partial results that the caller combines.
func (l *Loop[A]) For(n, grain int, args A, fn func(a *A, lo, hi int)) {
	chunks := Split(n, grain)
	if chunks == 0 {
		return
	}
	t := l.get()
	t.args, t.fn, t.n, t.grain = args, fn, n, max(grain, 1)
	Run(t, chunks, 0)
	var zero A
	t.args, t.fn = zero, nil // keep no reference to the caller's memory
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

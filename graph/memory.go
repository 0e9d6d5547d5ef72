package graph

import (
	"fmt"
	"sync"

	"github.com/descent-ml/descent/internal/sysmem"
)

// DefaultMemoryFraction is the share of the machine's physical memory a
// graph may use when Config.MaxMemory is 0.
const DefaultMemoryFraction = 0.8

// MemoryError reports an allocation that would take a graph past its
// memory budget (Config.MaxMemory). Nothing was allocated.
type MemoryError struct {
	What  string // what needed the memory: "parameter \"mlp/dense0/w\"", ...
	Need  int64  // bytes it needed
	Used  int64  // bytes the graph held already
	Limit int64  // the budget
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("graph: %v: %s needs %s, with %s in use of a %s budget (set Config.MaxMemory, or --max-memory, to allow more)",
		ErrMemory, e.What, Bytes(e.Need), Bytes(e.Used), Bytes(e.Limit))
}

// Unwrap makes errors.Is(err, ErrMemory) true.
func (e *MemoryError) Unwrap() error { return ErrMemory }

// Bytes formats a byte count with a binary unit, e.g. "37.3 GiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i])
}

// memBudget counts the bytes a graph holds: parameters, buffers, the
// buffers of compiled programs, and what callers reserve (optimizer
// state). Programs of one graph may compile concurrently, hence the lock.
type memBudget struct {
	mu    sync.Mutex
	limit int64 // <= 0: no limit
	used  int64
}

func newBudget(max int64) *memBudget {
	switch {
	case max < 0:
		return &memBudget{}
	case max == 0:
		return &memBudget{limit: int64(DefaultMemoryFraction * float64(sysmem.Total()))}
	}
	return &memBudget{limit: max}
}

func (m *memBudget) reserve(n int64, what string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n < 0 || (m.limit > 0 && (n > m.limit || m.used > m.limit-n)) {
		return &MemoryError{What: what, Need: n, Used: m.used, Limit: m.limit}
	}
	m.used += n
	return nil
}

func (m *memBudget) release(n int64) {
	m.mu.Lock()
	m.used = max(m.used-n, 0)
	m.mu.Unlock()
}

// Reserve counts n more bytes against the graph's memory budget before
// the caller allocates them (the training loop reserves the optimizer's
// state this way); what names them in the error. It returns a
// *MemoryError, wrapping ErrMemory, when they do not fit.
func (g *Graph) Reserve(n int64, what string) error { return g.mem.reserve(n, what) }

// Release returns n bytes reserved with Reserve.
func (g *Graph) Release(n int64) { g.mem.release(n) }

// MemoryLimit returns the graph's memory budget in bytes (0: none).
func (g *Graph) MemoryLimit() int64 { return g.mem.limit }

// MemoryUsed returns the bytes counted against the budget.
func (g *Graph) MemoryUsed() int64 {
	g.mem.mu.Lock()
	defer g.mem.mu.Unlock()
	return g.mem.used
}

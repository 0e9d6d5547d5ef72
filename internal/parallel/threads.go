package parallel

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// EnvVar is the environment variable that sets the number of threads.
const EnvVar = "DESCENT_NUM_THREADS"

// MaxThreads bounds the number of threads (a guard against a runaway
// value starting millions of goroutines).
const MaxThreads = 4096

// explicit is SetThreads' value; 0 means unset.
var explicit atomic.Int64

// env reads DESCENT_NUM_THREADS once: its value (0 when unset or invalid)
// and the error that made it invalid.
var env = sync.OnceValues(func() (int, error) {
	n, err := parseThreads(os.Getenv(EnvVar))
	if err != nil {
		fmt.Fprintf(os.Stderr, "descent: %v; using GOMAXPROCS (%d)\n", err, gomaxprocs())
	}
	return n, err
})

// parseThreads reads a thread count from DESCENT_NUM_THREADS' value: "" is
// unset (0, nil).
func parseThreads(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > MaxThreads {
		return 0, fmt.Errorf("parallel: %s=%q is not a thread count (want an integer in [1, %d])", EnvVar, s, MaxThreads)
	}
	return n, nil
}

// Threads returns the number of threads ops use now: the value of
// SetThreads if set, else DESCENT_NUM_THREADS if valid, else GOMAXPROCS.
func Threads() int {
	if n := explicit.Load(); n > 0 {
		return int(n)
	}
	if n, _ := env(); n > 0 {
		return n
	}
	return max(1, gomaxprocs())
}

// SetThreads sets the number of threads ops use; 0 returns to the default
// (DESCENT_NUM_THREADS, else GOMAXPROCS). It may be called at any time:
// a running op finishes with the count it started with. More threads than
// cores is allowed (the results are the same; the speed is not).
func SetThreads(n int) error {
	if n < 0 || n > MaxThreads {
		return fmt.Errorf("parallel: SetThreads: %d threads (want 0 for the default, or 1 to %d)", n, MaxThreads)
	}
	explicit.Store(int64(n))
	return nil
}

// EnvErr returns why DESCENT_NUM_THREADS was ignored, or nil when it is
// unset or valid.
func EnvErr() error {
	_, err := env()
	return err
}

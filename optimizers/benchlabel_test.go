package optimizers_test

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBenchmarkStepThreads runs BenchmarkStep/sgd with -cpu 1,2 in a child
// test binary and checks that each result ran with the thread count its
// name says: the "threads" metric is 1 on the line for -cpu 1 and 2 on
// the line for -cpu 2. With b.Loop the -cpu 1 line was measured in the
// testing package's first run, at the GOMAXPROCS of the list's last entry
// (golang/go#49980), and said 2.
func TestBenchmarkStepThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark in a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkStep$/^sgd$", "-test.cpu=1,2", "-test.benchtime=20ms")
	cmd.Env = append(os.Environ(), "DESCENT_NUM_THREADS=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	lines := regexp.MustCompile(`(?m)^BenchmarkStep/sgd(-\d+)?\s.*?([\d.]+) threads`).FindAllStringSubmatch(string(out), -1)
	require.Len(t, lines, 2, "%s", out)
	for _, l := range lines {
		want := 1
		if l[1] != "" {
			want, _ = strconv.Atoi(l[1][1:])
		}
		got, err := strconv.ParseFloat(l[2], 64)
		require.NoError(t, err)
		require.Equal(t, float64(want), got, "BenchmarkStep/sgd%s ran with %v threads\n%s", l[1], got, out)
	}
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The progress line in a real 80-column terminal (tmux): it is redrawn in
// place, never wider than the terminal, never left behind, and the lines
// printed around it fit too. Skipped without tmux unless
// DESCENT_REQUIRE_TMUX=1 (CI installs it).
func TestProgressInAnEightyColumnTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("DESCENT_REQUIRE_TMUX") == "1" {
			t.Fatal("DESCENT_REQUIRE_TMUX=1 but no tmux on PATH (apt-get install -y tmux)")
		}
		t.Skip("no tmux on PATH (apt-get install -y tmux); .ci/run installs it and runs this test")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	socket := filepath.Join(dir, "tmux.sock")
	done := filepath.Join(dir, "done")
	start := filepath.Join(dir, "start")
	raw := filepath.Join(dir, "raw")
	// The test binary acts as descent (see TestMain); the default job for
	// three epochs (a few seconds), then a marker file, then it waits to be
	// captured. CI= because descent draws no progress bar when CI is set
	// (CI logs are not terminals even when a pseudo-terminal is attached);
	// the run waits for the start file so that pipe-pane records every byte.
	script := fmt.Sprintf("while [ ! -e %q ]; do sleep 0.02; done; CI= DESCENT_TEST_CLI=1 %q train --epochs 3 --runs-dir ''; touch %q; sleep 60",
		start, self, done)
	tm := func(args ...string) string {
		out, err := exec.Command(tmux, append([]string{"-S", socket}, args...)...).CombinedOutput()
		require.NoError(t, err, "tmux %v: %s", args, out)
		return string(out)
	}
	tm("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "40", "sh", "-c", script)
	defer exec.Command(tmux, "-S", socket, "kill-server").Run()
	tm("pipe-pane", "-o", "cat > "+raw)
	require.NoError(t, os.WriteFile(start, nil, 0o600))

	sawBar := false
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := os.Stat(done)
		finished := err == nil
		// -J joins wrapped lines, so a line wider than the pane shows as one
		// line of more than 80 characters.
		pane := tm("capture-pane", "-p", "-J")
		bars := 0
		for _, line := range strings.Split(strings.TrimRight(pane, "\n"), "\n") {
			line = strings.TrimRight(line, " ")
			require.LessOrEqual(t, len([]rune(line)), 80, "a line wider than the terminal:\n%s", pane)
			if strings.Contains(line, "[") && strings.HasPrefix(line, "epoch ") {
				bars++
			}
		}
		require.LessOrEqual(t, bars, 1, "a stale progress line:\n%s", pane)
		if bars == 1 && strings.Contains(pane, "] ") && !strings.Contains(pane, "] 0/") {
			sawBar = true // a bar that moved
		}
		if finished {
			require.Zero(t, bars, "the progress line is left on screen after the run:\n%s", pane)
			require.Contains(t, pane, "test accuracy")
			require.Equal(t, 3, strings.Count(pane, "epoch ")-bars, "one summary line per epoch:\n%s", pane)
			break
		}
		require.True(t, time.Now().Before(deadline), "the run did not finish:\n%s", pane)
		time.Sleep(50 * time.Millisecond)
	}
	// On a fast machine an epoch can end between two captures; the raw
	// byte stream still shows every redraw: carriage return, the bar with
	// some progress, erase to the end of the line.
	if !sawBar {
		b, err := os.ReadFile(raw)
		require.NoError(t, err)
		for _, draw := range strings.Split(string(b), "\r")[1:] {
			if strings.HasPrefix(draw, "epoch ") && strings.Contains(draw, "] ") &&
				!strings.Contains(draw, "] 0/") && strings.Contains(draw, "\x1b[K") {
				sawBar = true
			}
		}
	}
	require.True(t, sawBar, "the progress line was never seen")
}

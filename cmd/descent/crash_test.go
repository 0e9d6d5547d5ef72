package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"
)

// TestMain lets the test binary act as the descent command (for the
// crash test's child processes) when DESCENT_TEST_CLI is set.
func TestMain(m *testing.M) {
	if os.Getenv("DESCENT_TEST_CLI") == "1" {
		os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)))
	}
	os.Exit(m.Run())
}

// The recipe of the crash test: small, with a checkpoint every epoch.
var crashRecipe = []string{"--data", "spirals", "--hidden", "32,32", "--batch-size", "16", "--optimizer", "adam",
	"--dropout", "0.1", "--epochs", "1000", "--seed", "3", "--quiet", "--runs-dir", "", "--log-every", "1000"}

// TestKillDuringCheckpoints kills a training process with SIGKILL at
// random moments, over and over, while it writes a checkpoint every epoch;
// after every kill the last checkpoint on disk must load, and the run,
// resumed from kill to kill until it ends, must end with exactly the bits
// of an uninterrupted run.
func TestKillDuringCheckpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("about 40 child processes; CI runs it")
	}
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref")
	_, err := runCLI(t, append([]string{"train", "--checkpoint-dir", ref}, crashRecipe...)...)
	require.NoError(t, err)

	ck := filepath.Join(dir, "ck")
	last := filepath.Join(ck, "last.safetensors")
	r := rand.New(rand.NewPCG(7, 7))
	kills, loads := 0, 0
	for attempt := 0; attempt < 200 && kills < 35; attempt++ {
		args := append([]string{"train", "--checkpoint-dir", ck}, crashRecipe...)
		if _, err := os.Stat(last); err == nil {
			args = []string{"train", "--resume", ck, "--quiet", "--runs-dir", "", "--log-every", "1000"}
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "DESCENT_TEST_CLI=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-time.After(time.Duration(20+r.IntN(180)) * time.Millisecond):
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			<-done
			kills++
		case err := <-done:
			if err == nil || bytes.Contains(stderr.Bytes(), []byte("asks for no more")) {
				attempt = 200 // the run finished between kills
				continue
			}
			require.NoError(t, err, "the child failed on its own: %s", stderr.String())
		}
		if _, err := os.Stat(last); err == nil {
			_, err := checkpoint.Load(last)
			require.NoError(t, err, "after kill %d the last checkpoint must load", kills)
			loads++
		}
	}
	require.GreaterOrEqual(t, kills, 30, "SIGKILLs")
	require.Greater(t, loads, 10, "kills that found a checkpoint to load")
	// Finish the run and compare every tensor with the uninterrupted run's.
	if out, err := runCLI(t, "train", "--resume", ck, "--epochs", "1000"); err != nil {
		require.Contains(t, out+err.Error(), "asks for no more", "the run may have finished between kills")
	}
	want, err := checkpoint.Load(filepath.Join(ref, "last.safetensors"))
	require.NoError(t, err)
	got, err := checkpoint.Load(last)
	require.NoError(t, err)
	require.Equal(t, want.Names, got.Names)
	for _, name := range want.Names {
		require.Equal(t, want.Params[name].Values(), got.Params[name].Values(), "%s after %d kills", name, kills)
	}
	t.Logf("%d SIGKILLs, %d checkpoints loaded after a kill: the resumed run ends bit for bit like the uninterrupted one", kills, loads)
}

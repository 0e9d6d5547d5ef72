package optbench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Main(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestCLIHelp(t *testing.T) {
	out, err := cli(t, "--help")
	require.NoError(t, err)
	require.Contains(t, out, "optbench <command>")
	for _, c := range []string{"optimizers", "plan", "run", "merge", "list"} {
		out, err := cli(t, c, "--help")
		require.NoError(t, err, c)
		require.Contains(t, out, "Usage: optbench "+c, c)
		if c != "list" {
			require.Contains(t, out, "-store", c)
		}
	}
	out, err = cli(t, "list")
	require.NoError(t, err)
	require.Contains(t, out, "lbfgs")
	require.Contains(t, out, "history_size=100")
	require.Contains(t, out, "algoperf_mnist")
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "a command is needed"},
		{[]string{"bench"}, `unknown command "bench"`},
		{[]string{"optimizers", "--workers", "0", "--store", dir}, "--workers 0 (want >= 1)"},
		{[]string{"optimizers", "--store", dir, "--optimizers", "sgdd"}, `unknown optimizer "sgdd"`},
		{[]string{"optimizers", "--store", dir, "--set", "adam.beta1"}, "want OPTIMIZER.PARAM=VALUE"},
		{[]string{"optimizers", "--store", dir, "--set", "lion.beta1=0.9", "--optimizers", "adam"}, `no contender uses optimizer "lion"`},
		{[]string{"optimizers", "--store", dir, "--problems", "rosenbrock@epochs=x"}, "want NAME, NAME@epochs=E"},
		{[]string{"optimizers", "--store", dir, "--protocol", "fast"}, `unknown protocol "fast"`},
		{[]string{"optimizers", "--store", dir, "--lrs", "logspace:2:1:3"}, "--lrs"},
		{[]string{"optimizers", "--store", dir, "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"optimizers", "--store", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"plan", "--store", dir}, `--format "" (want slurm or json)`},
		{[]string{"run", "--store", dir, "--shard", "4/4"}, "want i/N with 0 <= i < N"},
		{[]string{"run", "--store", dir}, "give --shard i/N or --trial KEY"},
	} {
		_, err := cli(t, c.args...)
		require.ErrorContains(t, err, c.want, "%v", c.args)
		require.True(t, IsUsage(err), "%v: a usage error", c.args)
		require.Contains(t, err.Error(), "--help", "a hint")
		require.NotContains(t, err.Error(), "\n", "one line")
	}
	_, err := cli(t, "run", "--store", dir, "--shard", "0/2")
	require.ErrorContains(t, err, "run \"plan\" first")
}

func TestSplitCommand(t *testing.T) {
	cmd, rest := splitCommand([]string{"--store", "d", "--partial", "merge", "--report", "r"})
	require.Equal(t, "merge", cmd)
	require.Equal(t, []string{"--store", "d", "--partial", "--report", "r"}, rest)
	cmd, _ = splitCommand([]string{"--store=d", "run"})
	require.Equal(t, "run", cmd)
}

func writeSweep(t *testing.T, sw Sweep) string {
	t.Helper()
	b, err := json.Marshal(sw)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "sweep.json")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

// TestShardsEqualLocal does what the SLURM job array does, without SLURM:
// plan, three shards run as separate commands (twice: the DeepOBS reruns
// are a second stage, as submit.sh submits the array twice), merge; the
// report is bit-identical to a local run's with 2 workers.
func TestShardsEqualLocal(t *testing.T) {
	sw := tinySweep(false)
	file := writeSweep(t, sw)
	dir := t.TempDir()
	store, report := filepath.Join(dir, "store"), filepath.Join(dir, "report")

	out, err := cli(t, "plan", "--format", "json", "--sweep", file, "--store", store, "--bin", "optbench")
	require.NoError(t, err)
	var plan planJSON
	require.NoError(t, json.Unmarshal([]byte(out), &plan))
	require.Equal(t, 2, plan.Stages)
	require.Equal(t, 1, plan.PlannedStages, "the reruns wait for the grid")
	require.False(t, plan.Complete)
	require.Equal(t, []string{"optbench", "run", "--store", plan.Store, "--trial", plan.Trials[0].Key}, plan.Trials[0].Command)

	out, err = cli(t, "run", "--store", store, "--trial", plan.Trials[0].Key, "--quiet")
	require.NoError(t, err, out)
	require.Contains(t, out, "trial "+plan.Trials[0].Key+" done")
	for round := 0; round < 2; round++ {
		for i := 0; i < 3; i++ {
			out, err = cli(t, "run", "--store", store, "--shard", []string{"0/3", "1/3", "2/3"}[i], "--quiet")
			require.NoError(t, err, out)
		}
	}
	_, err = cli(t, "merge", "--store", store, "--report", report)
	require.NoError(t, err)
	out, err = cli(t, "plan", "--format", "json", "--sweep", file, "--store", store, "--bin", "optbench")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &plan))
	require.True(t, plan.Complete)

	local := filepath.Join(dir, "local")
	out, err = cli(t, "optimizers", "--sweep", file, "--workers", "2", "--store", filepath.Join(local, "store"), "--report", filepath.Join(local, "report"), "--quiet")
	require.NoError(t, err, out)
	requireSameReports(t, report, filepath.Join(local, "report"))
}

func TestSlurmScripts(t *testing.T) {
	dir := t.TempDir()
	file := writeSweep(t, tinySweep(false))
	out, err := cli(t, "plan", "--format", "slurm", "--sweep", file, "--store", filepath.Join(dir, "store"), "--report", filepath.Join(dir, "rep"),
		"--out", filepath.Join(dir, "job"), "--bin", "/opt/bin/descent bench", "--shards", "4", "--time", "1:00:00")
	require.NoError(t, err)
	require.Contains(t, out, "submit.sh")
	sb, err := os.ReadFile(filepath.Join(dir, "job", "optbench.sbatch"))
	require.NoError(t, err)
	script := string(sb)
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-3\n", "#SBATCH --time=1:00:00\n",
		"/opt/bin/descent bench run --store '" + filepath.Join(dir, "store") + "' --shard \"${SLURM_ARRAY_TASK_ID}/4\" --workers 1"} {
		require.Contains(t, script, want)
	}
	sub, err := os.ReadFile(filepath.Join(dir, "job", "submit.sh"))
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(sub), "sbatch --parsable"), "two stages and the merge")
	require.Contains(t, string(sub), "--dependency=afterok:$jid")
	require.Contains(t, string(sub), "/opt/bin/descent bench merge --store")
	if bash, err := exec.LookPath("bash"); err == nil {
		for _, f := range []string{"optbench.sbatch", "submit.sh"} {
			out, err := exec.Command(bash, "-n", filepath.Join(dir, "job", f)).CombinedOutput()
			require.NoError(t, err, "%s: %s", f, out)
		}
	}
	st, err := OpenStore(filepath.Join(dir, "store"))
	require.NoError(t, err)
	_, err = st.ReadSweep()
	require.NoError(t, err, "plan fixed the sweep in the store")
}

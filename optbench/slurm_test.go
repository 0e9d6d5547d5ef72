package optbench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSlurmJobArray is the SLURM integration test. It needs root and
// Debian's slurm-wlm and munge, so it runs only with DESCENT_SLURM_TEST=1,
// which .ci/slurm-test sets after installing them (it sets
// DESCENT_SLURM_UNAVAILABLE to the reason when apt cannot install them,
// and only then does this test skip). It starts a single-node cluster
// (munged as the munge user, slurmctld and slurmd on this host, its own
// slurm.conf through SLURM_CONF), plans a sweep with two stages as a job
// array of 4 tasks, submits it with the generated submit.sh (the array
// twice, chained with afterok, then the merge, waiting for it), and
// requires the merged report to be bit-identical to a local run with one
// worker. It stops the daemons it started, by their PIDs.
func TestSlurmJobArray(t *testing.T) {
	if os.Getenv("DESCENT_SLURM_TEST") != "1" {
		t.Skip("the SLURM integration test runs with DESCENT_SLURM_TEST=1 (.ci/slurm-test installs slurm-wlm and munge, then sets it)")
	}
	if why := os.Getenv("DESCENT_SLURM_UNAVAILABLE"); why != "" {
		t.Skip("slurm-wlm and munge could not be installed here: " + why)
	}
	require.Equal(t, 0, os.Geteuid(), "the test starts slurmctld, slurmd and munged: run it as root")
	for _, b := range []string{"munged", "munge", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue"} {
		_, err := exec.LookPath(b)
		require.NoError(t, err, "%s is missing: install slurm-wlm and munge (apt-get install slurm-wlm munge)", b)
	}
	dir := t.TempDir()
	env := startCluster(t, dir)

	bin := filepath.Join(dir, "optbench")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/optbench").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	sweep := writeSweep(t, tinySweep(true))
	store, report, job := filepath.Join(dir, "store"), filepath.Join(dir, "report"), filepath.Join(dir, "job")
	out, err = exec.Command(bin, "plan", "--format", "slurm", "--sweep", sweep, "--shards", "4", "--store", store, "--report", report,
		"--out", job, "--bin", bin).CombinedOutput()
	require.NoError(t, err, "plan: %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	submit := exec.CommandContext(ctx, filepath.Join(job, "submit.sh"), "--wait")
	submit.Env = env
	out, err = submit.CombinedOutput()
	if err != nil {
		logs, _ := filepath.Glob(filepath.Join(store, "slurm", "*.out"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%s", l, b)
		}
		q, _ := command(env, "squeue").CombinedOutput()
		t.Fatalf("submit.sh --wait: %v\n%s\nsqueue:\n%s", err, out, q)
	}
	t.Logf("submit.sh:\n%s", out)
	var arrays []string
	for _, line := range strings.Split(string(out), "\n") {
		if _, id, ok := strings.Cut(line, "array job "); ok {
			arrays = append(arrays, strings.TrimSpace(id))
		}
	}
	require.Len(t, arrays, 2, "one array per stage")
	for _, id := range arrays {
		tasks, err := filepath.Glob(filepath.Join(store, "slurm", "optbench-"+id+"_*.out"))
		require.NoError(t, err)
		require.Len(t, tasks, 4, "array job %s ran 4 tasks", id)
	}

	local := filepath.Join(dir, "local")
	out, err = exec.Command(bin, "optimizers", "--sweep", sweep, "--workers", "1", "--store", filepath.Join(local, "store"),
		"--report", filepath.Join(local, "report"), "--quiet").CombinedOutput()
	require.NoError(t, err, "local run: %s", out)
	requireSameReports(t, report, filepath.Join(local, "report"))
	a, err := os.ReadFile(filepath.Join(report, "trials.jsonl"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(local, "report", "trials.jsonl"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "trials.jsonl: the cluster's and the local run's differ")
	t.Logf("%d trials bit-identical between the 4-task job array and a local --workers 1 run", bytes.Count(a, []byte("\n")))
}

func command(env []string, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = env
	return c
}

// startCluster starts munged (unless one answers already), slurmctld and
// slurmd with a slurm.conf in dir, waits for the node to be idle, and
// returns the environment (SLURM_CONF) the clients need. Cleanup stops the
// daemons by their PIDs.
func startCluster(t *testing.T, dir string) []string {
	t.Helper()
	host, err := os.Hostname()
	require.NoError(t, err)
	host, _, _ = strings.Cut(host, ".")
	env := append(os.Environ(), "SLURM_CONF="+filepath.Join(dir, "slurm.conf"))

	if exec.Command("sh", "-c", "munge -n | unmunge").Run() != nil {
		mu, err := user.Lookup("munge")
		require.NoError(t, err, "the munge user (created by the munge package)")
		uid, _ := strconv.Atoi(mu.Uid)
		gid, _ := strconv.Atoi(mu.Gid)
		if _, err := os.Stat("/etc/munge/munge.key"); err != nil {
			key := make([]byte, 1024)
			_, err := rand.Read(key)
			require.NoError(t, err)
			require.NoError(t, os.MkdirAll("/etc/munge", 0o700))
			require.NoError(t, os.WriteFile("/etc/munge/munge.key", key, 0o400))
			require.NoError(t, os.Chown("/etc/munge/munge.key", uid, gid))
			require.NoError(t, os.Chown("/etc/munge", uid, gid))
		}
		for _, d := range []string{"/run/munge", "/var/lib/munge", "/var/log/munge"} {
			require.NoError(t, os.MkdirAll(d, 0o755))
			require.NoError(t, os.Chown(d, uid, gid))
		}
		munged := exec.Command("munged", "-F")
		munged.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		munged.Stdout, munged.Stderr = logFile(t, dir, "munged.out"), logFile(t, dir, "munged.out")
		require.NoError(t, munged.Start())
		t.Cleanup(func() { stop(munged) })
		waitFor(t, "munged", func() bool { return exec.Command("sh", "-c", "munge -n | unmunge").Run() == nil })
	}

	conf := fmt.Sprintf(`ClusterName=optbench
SlurmctldHost=%[1]s
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=%[2]s/state
SlurmdSpoolDir=%[2]s/spool
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
SlurmctldLogFile=%[2]s/slurmctld.log
SlurmdLogFile=%[2]s/slurmd.log
NodeName=%[1]s CPUs=%[3]d State=UNKNOWN
PartitionName=debug Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, host, dir, runtime.NumCPU())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "slurm.conf"), []byte(conf), 0o644))
	for _, d := range []string{"state", "spool"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	logs := func() {
		for _, f := range []string{"slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out", "munged.out"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			t.Logf("%s:\n%s", f, b)
		}
	}
	for _, d := range [][]string{{"slurmctld", "-D", "-c"}, {"slurmd", "-D"}} {
		c := command(env, d[0], d[1:]...)
		c.Stdout, c.Stderr = logFile(t, dir, d[0]+".out"), logFile(t, dir, d[0]+".out")
		require.NoError(t, c.Start(), d[0])
		t.Cleanup(func() { stop(c) })
	}
	ok := false
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, err := command(env, "sinfo", "-h", "-o", "%t").Output()
		if err == nil && strings.TrimSpace(string(out)) == "idle" {
			ok = true
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !ok {
		logs()
		t.Fatal("the node never became idle (sinfo)")
	}
	return env
}

// logFile opens dir/name for appending a daemon's output.
func logFile(t *testing.T, dir, name string) *os.File {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// stop ends a daemon this test started: SIGTERM, then SIGKILL after 10 s.
func stop(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	_ = c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.Process.Kill()
		<-done
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not start", what)
}

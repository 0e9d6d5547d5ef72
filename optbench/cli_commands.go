package optbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func pow10(e float64) float64 { return math.Pow(10, e) }

// execFlags are the flags of commands that run trials.
type execFlags struct {
	workers  int
	store    string
	mnistDir string
	quiet    bool
}

func addExecFlags(fs *flag.FlagSet, e *execFlags, workers int) {
	fs.IntVar(&e.workers, "workers", workers, "trials run at once (results are the same for any value)")
	fs.StringVar(&e.store, "store", "optbench-store", "result store: one file per finished trial; finished trials are skipped")
	fs.StringVar(&e.mnistDir, "mnist-dir", "", "folder with MNIST's IDX files (default: the GoMNIST module in the Go module cache)")
	fs.BoolVar(&e.quiet, "quiet", false, "no progress lines on stderr")
}

func (e *execFlags) runner(cmd string, reg *Registry, stderr io.Writer) (*Runner, error) {
	if e.workers < 1 {
		return nil, usageErr(cmd, fmt.Sprintf("--workers %d (want >= 1)", e.workers))
	}
	st, err := OpenStore(e.store)
	if err != nil {
		return nil, err
	}
	r := &Runner{Registry: reg, Env: Env{MNISTDir: e.mnistDir}, Store: st, Workers: e.workers}
	if !e.quiet {
		r.Log = stderr
	}
	return r, nil
}

// interrupted explains a cancelled run.
func interrupted(err error, store string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("interrupted: the finished trials are kept in %s; run the same command again to resume (%w)", store, err)
	}
	return err
}

const optimizersHelp = `Usage: optbench optimizers [flags]

Runs the sweep (a suite, or a sweep file, adjusted by the flags) locally: every trial of
every protocol on --workers goroutines, each finished trial kept in --store (a rerun
skips them: an interrupted run resumes), then writes the report into --report
(report.md, timing.md, CSV tables, trials.jsonl, PNG and SVG plots).

Protocols:
  oneshot    each optimizer with its defaults (and --set values), --seeds seeds
  deepobs    learning rate tuned on a log grid (--lrs) with one seed, the best setting by
             final validation metric rerun with --reruns seeds; test metric mean ± std
  algoperf   --trials x --studies quasi-random points of each search space, trained to
             the problem's validation target; median of per-study fastest; performance
             profiles and their area score

--check-references runs only the reference checks: published DeepOBS quadratic_deep
losses and the AlgoPerf MNIST target, one PASS/FAIL line each.

Examples:
  optbench optimizers --suite quick --workers 2
  optbench optimizers --problems quadratic_deep,mnist_logreg@epochs=3 --optimizers sgd,adam,lion --protocol deepobs
  optbench optimizers --sweep my.json --set adam.eps=1e-6
  optbench optimizers --check-references

Flags:
`

func cmdOptimizers(ctx context.Context, reg *Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("optimizers")
	var sf sweepFlags
	var ef execFlags
	addSweepFlags(fs, &sf, reg)
	addExecFlags(fs, &ef, runtime.NumCPU())
	report := fs.String("report", "optbench-report", "folder of the report")
	check := fs.Bool("check-references", false, "run the reference checks only (DeepOBS and AlgoPerf numbers), one PASS/FAIL line each")
	pos, err := parse(fs, "optimizers", optimizersHelp, args, stdout)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) > 0 {
		return usageErr("optimizers", fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	r, err := ef.runner("optimizers", reg, stderr)
	if err != nil {
		return err
	}
	start := time.Now()
	if *check {
		version := sf.version
		if version == "" {
			version = CodeVersion
		}
		failed, err := CheckReferences(ctx, r, stdout, version)
		if err != nil {
			return interrupted(err, ef.store)
		}
		fmt.Fprintf(stdout, "reference checks done in %s\n", time.Since(start).Round(time.Second))
		if failed > 0 {
			return fmt.Errorf("%d reference check(s) failed", failed)
		}
		return nil
	}
	sw, err := sf.sweep("optimizers", reg)
	if err != nil {
		return err
	}
	pl, err := sw.Resolve(reg)
	if err != nil {
		return usageErr("optimizers", err.Error())
	}
	if err := r.Store.WriteSweep(pl.Sweep); err != nil {
		return err
	}
	done, err := r.Store.Load()
	if err != nil {
		return err
	}
	before := len(done)
	if err := r.RunPlan(ctx, pl, done); err != nil {
		return interrupted(err, ef.store)
	}
	if _, err := WriteReport(*report, pl, done, false); err != nil {
		return err
	}
	trials, _, _ := pl.AllTrials(done)
	fmt.Fprintf(stdout, "%d trials (%d run now, the others found in %s) in %s; report: %s\n",
		len(trials), len(done)-before, ef.store, time.Since(start).Round(time.Second), filepath.Join(*report, "report.md"))
	return nil
}

const planHelp = `Usage: optbench plan --format slurm|json [flags]

Fixes the sweep (a suite or sweep file, adjusted by the flags, as "optimizers" takes them)
in --store/sweep.json, for "run" and "merge" to read, and prints its trials:

  --format slurm   an sbatch job-array script of --shards tasks, task i running
                   "run --shard i/N" against the store (a file system all nodes share);
                   with --out DIR it writes DIR/optbench.sbatch and DIR/submit.sh, which
                   submits the array once per stage (DeepOBS's reruns need the grid's
                   results: a second array after the first, --dependency=afterok) and
                   then "merge" (submit.sh --wait waits for the merge)
  --format json    every trial that can be planned now, with the command that runs it,
                   for any other scheduler (later stages are listed once the earlier are done)

--bin is the command the scripts run (default: this executable's absolute path; "descent
bench" works too).

Flags:
`

func cmdPlan(ctx context.Context, reg *Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan")
	var sf sweepFlags
	addSweepFlags(fs, &sf, reg)
	format := fs.String("format", "", "slurm or json")
	store := fs.String("store", "optbench-store", "result store (shared by the tasks)")
	report := fs.String("report", "optbench-report", "folder of the report the merge writes")
	out := fs.String("out", "", "write the scripts (or plan.json) into this folder instead of printing them")
	shards := fs.Int("shards", 4, "slurm: array tasks")
	workers := fs.Int("workers", 1, "slurm: trials each task runs at once")
	cpus := fs.Int("cpus-per-task", 0, "slurm: CPUs per task (default --workers)")
	bin := fs.String("bin", "", "command that runs optbench in the scripts (default: this executable)")
	partition := fs.String("partition", "", "slurm: partition (sbatch --partition)")
	tlimit := fs.String("time", "", "slurm: time limit per task (sbatch --time, e.g. 4:00:00)")
	mnistDir := fs.String("mnist-dir", "", "folder with MNIST's IDX files, passed on to the tasks")
	pos, err := parse(fs, "plan", planHelp, args, stdout)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) > 0 {
		return usageErr("plan", fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if *format != "slurm" && *format != "json" {
		return usageErr("plan", fmt.Sprintf("--format %q (want slurm or json)", *format))
	}
	if *shards < 1 || *workers < 1 || *cpus < 0 {
		return usageErr("plan", "--shards and --workers want values >= 1")
	}
	sw, err := sf.sweep("plan", reg)
	if err != nil {
		return err
	}
	pl, err := sw.Resolve(reg)
	if err != nil {
		return usageErr("plan", err.Error())
	}
	st, err := OpenStore(*store)
	if err != nil {
		return err
	}
	if err := st.WriteSweep(pl.Sweep); err != nil {
		return err
	}
	absStore, err := filepath.Abs(*store)
	if err != nil {
		return err
	}
	absReport, err := filepath.Abs(*report)
	if err != nil {
		return err
	}
	command := *bin
	if command == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("plan: cannot find this executable (give --bin): %w", err)
		}
		command = shq(exe)
		if strings.Contains(exe, "go-build") {
			fmt.Fprintf(stderr, "warning: %s is a temporary \"go run\" binary; build one (go build -o optbench ./optbench/cmd/optbench) and pass --bin\n", exe)
		}
	}
	write := func(name, content string, mode os.FileMode) error {
		if *out == "" {
			_, err := io.WriteString(stdout, content)
			return err
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		return writeFileMode(filepath.Join(*out, name), []byte(content), mode)
	}
	if *format == "json" {
		done, err := st.Load()
		if err != nil {
			return err
		}
		b, err := planAsJSON(pl, done, absStore, command)
		if err != nil {
			return err
		}
		return write("plan.json", string(b)+"\n", 0o644)
	}
	c := SlurmConfig{Shards: *shards, Bin: command, Store: absStore, Report: absReport, MNISTDir: *mnistDir, Workers: *workers,
		CPUsPerTask: max(*cpus, *workers), Partition: *partition, Time: *tlimit, Stages: pl.Stages()}
	if err := os.MkdirAll(filepath.Join(absStore, "slurm"), 0o755); err != nil {
		return err
	}
	if err := write("optbench.sbatch", SlurmScript(c), 0o755); err != nil {
		return err
	}
	if *out != "" {
		if err := write("submit.sh", SubmitScript(c, "optbench.sbatch"), 0o755); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s and %s: run %s (%d stage(s) of %d tasks, then the merge)\n",
			filepath.Join(*out, "optbench.sbatch"), filepath.Join(*out, "submit.sh"), filepath.Join(*out, "submit.sh"), c.Stages, c.Shards)
	}
	return nil
}

func writeFileMode(path string, b []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, b, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

const runHelp = `Usage: optbench run --store DIR (--shard i/N | --trial KEY) [flags]

Runs trials of the sweep "plan" fixed in DIR/sweep.json. With --shard i/N: the trials of
each stage whose index is i modulo N, stage after stage while the earlier stage is
complete in the store (a stage still waiting for other shards ends the run, with exit
status 0: submit the array again after them, as submit.sh does). With --trial KEY: that
one trial (keys from "plan --format json"). Finished trials are skipped.

Flags:
`

// parseShard reads "i/N".
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, e1 := strconv.Atoi(a)
	n, e2 := strconv.Atoi(b)
	if !ok || e1 != nil || e2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q (want i/N with 0 <= i < N, e.g. --shard 0/4)", s)
	}
	return i, n, nil
}

func cmdRun(ctx context.Context, reg *Registry, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run")
	var ef execFlags
	addExecFlags(fs, &ef, 1)
	shard := fs.String("shard", "", "i/N: run shard i (0-based) of N")
	key := fs.String("trial", "", "run the trial with this key")
	pos, err := parse(fs, "run", runHelp, args, stdout)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) > 0 {
		return usageErr("run", fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if (*shard == "") == (*key == "") {
		return usageErr("run", "give --shard i/N or --trial KEY")
	}
	i, n := 0, 1
	if *shard != "" {
		if i, n, err = parseShard(*shard); err != nil {
			return usageErr("run", err.Error())
		}
	}
	r, err := ef.runner("run", reg, stderr)
	if err != nil {
		return err
	}
	sw, err := r.Store.ReadSweep()
	if err != nil {
		return err
	}
	pl, err := sw.Resolve(reg)
	if err != nil {
		return err
	}
	done, err := r.Store.Load()
	if err != nil {
		return err
	}
	for k := 0; k < pl.Stages(); k++ {
		ts, err := pl.StageTrials(k, done)
		if err != nil {
			return err
		}
		var mine []Trial
		for j, t := range ts {
			if (*key != "" && t.Key() == *key) || (*key == "" && j%n == i) {
				mine = append(mine, t)
			}
		}
		if err := r.Run(ctx, mine, done); err != nil {
			return interrupted(err, ef.store)
		}
		if *key != "" && len(mine) > 0 {
			fmt.Fprintf(stdout, "trial %s done (stage %d)\n", *key, k+1)
			return nil
		}
		if done, err = r.Store.Load(); err != nil { // the other shards' results
			return err
		}
		if m := len(Missing(ts, done)); m > 0 {
			if *key != "" {
				break
			}
			fmt.Fprintf(stdout, "shard %d/%d: stage %d of %d done; %d trials of other shards missing, so later stages wait (run again after them)\n",
				i, n, k+1, pl.Stages(), m)
			return nil
		}
		if *key == "" {
			fmt.Fprintf(stdout, "shard %d/%d: stage %d of %d complete (%d trials)\n", i, n, k+1, pl.Stages(), len(ts))
		}
	}
	if *key != "" {
		return usageErr("run", fmt.Sprintf("--trial %s is not a trial the sweep can run now (see plan --format json)", *key))
	}
	return nil
}

const mergeHelp = `Usage: optbench merge --store DIR --report DIR [--partial]

Writes the report of the sweep fixed in the store's sweep.json from the trials in the
store: report.md, timing.md, CSV tables, trials.jsonl and the plots. Without --partial
every trial must be there.

Flags:
`

func cmdMerge(_ context.Context, reg *Registry, args []string, stdout, _ io.Writer) error {
	fs := newFlags("merge")
	store := fs.String("store", "optbench-store", "result store")
	report := fs.String("report", "optbench-report", "folder of the report")
	partial := fs.Bool("partial", false, "report what is there when trials are missing")
	pos, err := parse(fs, "merge", mergeHelp, args, stdout)
	if err != nil {
		return helpOK(err)
	}
	if len(pos) > 0 {
		return usageErr("merge", fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if _, err := os.Stat(*store); err != nil {
		return usageErr("merge", fmt.Sprintf("--store %s: %v", *store, err))
	}
	st, err := OpenStore(*store)
	if err != nil {
		return err
	}
	sw, err := st.ReadSweep()
	if err != nil {
		return err
	}
	pl, err := sw.Resolve(reg)
	if err != nil {
		return err
	}
	done, err := st.Load()
	if err != nil {
		return err
	}
	if _, err := WriteReport(*report, pl, done, *partial); err != nil {
		return err
	}
	trials, _, _ := pl.AllTrials(done)
	fmt.Fprintf(stdout, "report of %d trials: %s\n", len(trials), filepath.Join(*report, "report.md"))
	return nil
}

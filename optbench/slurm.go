package optbench

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SlurmConfig is what the job-array script needs.
type SlurmConfig struct {
	// Shards is the number of array tasks; task i runs "run --shard i/Shards".
	Shards int
	// Bin is the command that runs optbench (a binary's path, or a command
	// such as "descent bench"), inserted verbatim into the scripts.
	Bin string
	// Store and Report are the folders (absolute paths: the tasks start in
	// SLURM's working directory); Store must be on a file system every
	// node shares.
	Store, Report string
	// MNISTDir is passed on to the tasks ("" leaves them to find MNIST).
	MNISTDir string
	// Workers per task, and the CPUs each task asks for.
	Workers, CPUsPerTask int
	// Partition and Time (sbatch --partition, --time) are optional.
	Partition, Time string
	// Stages is the number of times the array must run (the plan's stages).
	Stages int
}

// shq quotes s for a POSIX shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (c SlurmConfig) runCommand() string {
	cmd := fmt.Sprintf("%s run --store %s --shard \"${SLURM_ARRAY_TASK_ID}/%d\" --workers %d", c.Bin, shq(c.Store), c.Shards, c.Workers)
	if c.MNISTDir != "" {
		cmd += " --mnist-dir " + shq(c.MNISTDir)
	}
	return cmd
}

// SlurmScript returns the sbatch job-array script: each task runs its
// shard of every stage it can (finished trials are skipped, so a task can
// be resubmitted after a failure or a time-out).
func SlurmScript(c SlurmConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# optbench job array, written by \"optbench plan --format slurm\".\n")
	fmt.Fprintf(&b, "# Task i runs shard i of %d of the sweep fixed in %s/sweep.json; each finished trial is one file\n", c.Shards, c.Store)
	fmt.Fprintf(&b, "# in the store (written atomically), and trials already there are skipped.\n")
	if c.Stages > 1 {
		fmt.Fprintf(&b, "# The sweep has %d stages (DeepOBS reruns its best settings after the grid): submit this script %d times,\n", c.Stages, c.Stages)
		fmt.Fprintf(&b, "# each with --dependency=afterok on the previous array, then merge; submit.sh does exactly that.\n")
	} else {
		fmt.Fprintf(&b, "# Then merge: %s merge --store %s --report %s (submit.sh submits both).\n", c.Bin, shq(c.Store), shq(c.Report))
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=optbench\n")
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", c.Shards-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", c.CPUsPerTask)
	fmt.Fprintf(&b, "#SBATCH --output=%s/slurm/%%x-%%A_%%a.out\n", c.Store)
	if c.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", c.Partition)
	}
	if c.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", c.Time)
	}
	fmt.Fprintf(&b, "set -euo pipefail\n")
	fmt.Fprintf(&b, "export GOMAXPROCS=%d\n", max(c.CPUsPerTask, c.Workers))
	fmt.Fprintf(&b, "exec %s\n", c.runCommand())
	return b.String()
}

// SubmitScript returns a shell script that submits the array once per
// stage, each after the previous one succeeded, and then the merge. It
// prints the job ids; with --wait it waits for the merge to end.
func SubmitScript(c SlurmConfig, sbatchFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n# Submits the optbench array %d time(s) (one per stage) and the merge. Usage: submit.sh [--wait]\n", c.Stages)
	fmt.Fprintf(&b, "set -euo pipefail\ncd \"$(dirname \"$0\")\"\nmkdir -p %s/slurm\ndep=()\n", shq(c.Store))
	for s := 1; s <= c.Stages; s++ {
		fmt.Fprintf(&b, "jid=$(sbatch --parsable \"${dep[@]}\" %s)\njid=${jid%%%%;*}\necho \"stage %d of %d: array job $jid\"\ndep=(--dependency=afterok:$jid)\n", shq(sbatchFile), s, c.Stages)
	}
	merge := fmt.Sprintf("%s merge --store %s --report %s", c.Bin, shq(c.Store), shq(c.Report))
	fmt.Fprintf(&b, "wait=()\nif [ \"${1:-}\" = --wait ]; then wait=(--wait); fi\n")
	fmt.Fprintf(&b, "jid=$(sbatch --parsable \"${wait[@]}\" \"${dep[@]}\" --job-name=optbench-merge --ntasks=1 --output=%s/slurm/merge-%%j.out --wrap %s)\n",
		shq(c.Store), shq(merge))
	fmt.Fprintf(&b, "echo \"merge: job ${jid%%%%;*} (report in %s)\"\n", c.Report)
	return b.String()
}

// planJSON is "plan --format json": every trial that can be planned now,
// for any scheduler. Stages after an unfinished one cannot be listed yet.
type planJSON struct {
	Store         string          `json:"store"`
	Stages        int             `json:"stages"`
	PlannedStages int             `json:"planned_stages"`
	Complete      bool            `json:"complete"`
	Note          string          `json:"note"`
	Trials        []planJSONTrial `json:"trials"`
	MergeCommand  []string        `json:"merge_command"`
}

type planJSONTrial struct {
	Key     string   `json:"key"`
	Stage   int      `json:"stage"`
	Done    bool     `json:"done"`
	Trial   Trial    `json:"trial"`
	Command []string `json:"command"`
}

func planAsJSON(pl *Plan, done Results, store, bin string) ([]byte, error) {
	out := planJSON{Store: store, Stages: pl.Stages(), Trials: []planJSONTrial{},
		MergeCommand: append(strings.Fields(bin), "merge", "--store", store)}
	out.Complete = true
	for k := 0; k < pl.Stages(); k++ {
		ts, err := pl.StageTrials(k, done)
		if err != nil {
			return nil, err
		}
		out.PlannedStages = k + 1
		for _, t := range ts {
			key := t.Key()
			out.Trials = append(out.Trials, planJSONTrial{Key: key, Stage: k + 1, Done: done[key] != nil, Trial: t,
				Command: append(strings.Fields(bin), "run", "--store", store, "--trial", key)})
		}
		if len(Missing(ts, done)) > 0 {
			out.Complete = false
			break
		}
	}
	if out.PlannedStages < out.Stages {
		out.Note = fmt.Sprintf("stage %d needs the results of stage %d: run its trials, then run plan again to list the next stage", out.PlannedStages+1, out.PlannedStages)
	} else if !out.Complete {
		out.Note = "run the trials not done, then the merge command"
	} else {
		out.Note = "every trial is done: run the merge command"
	}
	return json.MarshalIndent(out, "", " ")
}

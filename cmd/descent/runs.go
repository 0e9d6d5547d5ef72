package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/descent-ml/descent/runs"
)

const runsSynopsis = `Lists, shows, compares and reports the runs recorded under --dir (every
train, cv and bench run records itself there):

  descent runs ls [--model M] [--optimizer O] [--data D] [--status S] [--kind K]
  descent runs show ID
  descent runs compare ID ID...      configuration that differs, and results
  descent runs report --out report.html [filters]
                                     one self-contained HTML page: the table
                                     and each run's learning curves (SVG)

Statuses: running, finished, interrupted (Ctrl-C), failed (with the error),
lost (recorded as running, but its process is gone).`

func runRuns(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("runs", runsSynopsis, stdout)
	dir := fs.String("dir", "runs", "the runs folder")
	var f runs.Filter
	fs.StringVar(&f.Model, "model", "", "only runs of this model")
	fs.StringVar(&f.Optimizer, "optimizer", "", "only runs with this optimizer")
	fs.StringVar(&f.Data, "data", "", "only runs on this data")
	fs.StringVar(&f.Status, "status", "", "only runs with this status")
	fs.StringVar(&f.Kind, "kind", "", "only runs of this kind: train, cv, bench")
	out := fs.String("out", "report.html", "report: the HTML file to write")
	pos, err := parseArgs(fs, "runs", args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("runs", "want a subcommand: ls, show, compare or report")
	}
	if _, err := os.Stat(*dir); err != nil {
		return fmt.Errorf("runs: --dir %s: no runs folder (runs are recorded by train, cv and bench): %w", *dir, err)
	}
	store, err := runs.Open(*dir)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "ls":
		if len(pos) > 1 {
			return usagef("runs", "ls takes flags only (got %q)", pos[1])
		}
		recs, err := store.List(f)
		if err != nil {
			return err
		}
		return runs.WriteList(stdout, recs)
	case "show":
		if len(pos) != 2 {
			return usagef("runs", "show takes one run ID")
		}
		rec, epochs, err := store.Get(pos[1])
		if err != nil {
			return err
		}
		return runs.WriteShow(stdout, rec, epochs)
	case "compare":
		if len(pos) < 3 {
			return usagef("runs", "compare takes two run IDs or more")
		}
		var recs []runs.Record
		for _, id := range pos[1:] {
			rec, _, err := store.Get(id)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		return runs.WriteCompare(stdout, recs)
	case "report":
		recs, err := store.List(f)
		if err != nil {
			return err
		}
		file, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("runs report: --out: %w", err)
		}
		if err := store.Report(file, recs); err != nil {
			file.Close()
			return err
		}
		if err := file.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report of %d runs written to %s\n", len(recs), *out)
		return nil
	}
	return usagef("runs", "unknown subcommand %q (want ls, show, compare or report)", pos[0])
}

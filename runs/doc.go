// Package runs records every run of the CLI (train, cv, bench) in a
// folder, one subfolder per run, and reads them back: `descent runs ls`,
// `show`, `compare` and `report`.
//
// A Record holds the run's full configuration (every flag's value), the
// code version and the machine (CPU, cores, GOMAXPROCS, BLAS backend), the
// start and end times, the final results and the paths of its artifacts
// (checkpoint, plot, metrics file), and its status: running, finished,
// interrupted (Ctrl-C), failed (with the error), or lost (a record still
// "running" whose process is gone, as after a kill -9). Per-epoch metrics
// are appended to epochs.jsonl as the run goes.
//
// Writes are atomic: record.json is replaced by renaming a temporary
// file, epochs.jsonl grows by one append of a whole line, and each run
// claims its folder with a unique name (time, kind and random suffix)
// before writing, so concurrent runs (bench workers, parallel jobs)
// never corrupt the store; a torn last line of a killed run is skipped
// when read.
//
// Report writes one self-contained HTML file: the runs table and each
// run's learning curves as inline SVG (package report's charts), with no
// network access needed to view it.
package runs

package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/models"
	"github.com/descent-ml/descent/optimizers"
	"github.com/descent-ml/descent/train"
)

// fit trains an MLP on moons (240 training examples, batches of 32) for
// epochs with hooks and log, resuming from dir when resume is set.
func fit(t *testing.T, epochs int, dir string, resume bool, hooks train.Hooks, log *bytes.Buffer) *train.History {
	t.Helper()
	ds, err := data.Moons(data.ToyConfig{N: 300, Noise: 0.1, Seed: 3, DType: graph.Float64})
	require.NoError(t, err)
	tr, val, err := data.Split(ds, 0.2, 4)
	require.NoError(t, err)
	g, err := graph.New(graph.Config{DType: graph.Float64, Seed: 9})
	require.NoError(t, err)
	m, err := models.Build(g, models.Spec{Kind: "mlp", In: 2, Hidden: []int{16}, Out: 2})
	require.NoError(t, err)
	opt, err := optimizers.NewSGD(optimizers.SGDConfig{LR: 0.1, Momentum: 0.9})
	require.NoError(t, err)
	sc, err := optimizers.NewScheduler(opt, optimizers.Cosine{TMax: 4})
	require.NoError(t, err)
	cfg := train.Config{Epochs: epochs, BatchSize: 32, Seed: 1, Optimizer: opt, Scheduler: sc,
		CheckpointDir: dir, Resume: resume, Hooks: hooks}
	if log != nil {
		cfg.Log = log
	}
	tn, err := train.New(g, m, tr, cfg)
	require.NoError(t, err)
	defer tn.Close()
	h, err := tn.Fit(context.Background(), tr, val)
	require.NoError(t, err)
	return h
}

// fields are the History values in the metrics files' column order.
func fields(m train.EpochMetrics) []float64 {
	return []float64{float64(m.Epoch), m.TrainLoss, m.TrainAccuracy, m.ValLoss, m.ValAccuracy, m.LR, m.Seconds, m.ExamplesPerSec}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// A real run drives the progress line and both metrics files through
// train.Hooks: the files hold exactly the History's values (both writers
// print the shortest form that parses back to the same float64), and on a
// terminal shared with the epoch log (stderr and stdout) each epoch's line
// ends showing that epoch's training loss and is cleared before the log
// line, which no bar fragment precedes.
func TestHooksOnARealRun(t *testing.T) {
	dir := t.TempDir()
	csvPath, jsonPath := filepath.Join(dir, "m.csv"), filepath.Join(dir, "m.jsonl")
	cf, err := CreateMetricsFile(csvPath, false)
	require.NoError(t, err)
	jf, err := CreateMetricsFile(jsonPath, false)
	require.NoError(t, err)
	var term bytes.Buffer
	p := NewProgress(&term) // not a terminal: 80 columns
	h := fit(t, 3, "", false, Chain(p.Hooks(), cf.Hooks(), jf.Hooks()), &term)
	require.NoError(t, cf.Close())
	require.NoError(t, jf.Close())
	require.Len(t, h.Epochs, 3)

	rows := readCSV(t, csvPath)
	require.Len(t, rows, 4)
	require.Equal(t, csvHeader, rows[0], "validation accuracy only: no extra columns")
	for i, m := range h.Epochs {
		want := fields(m)
		require.Len(t, rows[i+1], len(want))
		for j, cell := range rows[i+1] {
			v, err := strconv.ParseFloat(cell, 64)
			require.NoError(t, err, "row %d, %s", i+1, csvHeader[j])
			require.Equal(t, want[j], v, "row %d, %s", i+1, csvHeader[j])
		}
	}

	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 3)
	for i, m := range h.Epochs {
		var row map[string]float64
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &row), lines[i])
		want := fields(m)
		require.Len(t, row, len(csvHeader), "the columns, val_accuracy once: %s", lines[i])
		for j, k := range csvHeader {
			require.Equal(t, want[j], row[k], "line %d, %s", i+1, k)
		}
	}

	out := strings.Split(term.String(), "\n")
	require.Len(t, out, 4, "three log lines and nothing after:\n%q", term.String())
	require.Empty(t, out[3])
	for i, m := range h.Epochs {
		frames := strings.Split(out[i], "\r")
		require.GreaterOrEqual(t, len(frames), 4, "%q", out[i])
		require.Empty(t, frames[0], "nothing before the first frame")
		head := fmt.Sprintf("epoch %d/3 ", i+1)
		require.Regexp(t, `^`+regexp.QuoteMeta(head)+`\[> +\] 0/240\x1b\[K$`, frames[1], "the epoch starts empty")
		require.Regexp(t, `^`+regexp.QuoteMeta(head)+`\[=+\] 240/240  loss `+regexp.QuoteMeta(fmt.Sprintf("%.4g", m.TrainLoss))+`( |\x1b)`,
			frames[len(frames)-2], "the epoch ends full, with its mean loss")
		log := frames[len(frames)-1]
		require.True(t, strings.HasPrefix(log, "\x1b[K"+fmt.Sprintf("epoch %d/3: train loss ", i+1)),
			"the line is cleared, then the log line: %q", log)
		require.Equal(t, 1, strings.Count(out[i], "\x1b[Kepoch"), "one clear before the log line: %q", out[i])
		for _, f := range frames[1 : len(frames)-1] {
			require.LessOrEqual(t, len(strings.TrimSuffix(f, "\x1b[K")), 79, "%q", f)
		}
	}
}

// A run interrupted after epoch 2 and resumed appends the rest to its
// metrics file: the file is the uninterrupted run's, timings aside.
func TestMetricsFileOfAResumedRun(t *testing.T) {
	dir := t.TempDir()
	write := func(path string, epochs int, ckpt string, resume bool) {
		f, err := CreateMetricsFile(path, resume)
		require.NoError(t, err)
		fit(t, epochs, ckpt, resume, f.Hooks(), nil)
		require.NoError(t, f.Close())
	}
	straight, resumed := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	write(straight, 4, "", false)
	ckpt := filepath.Join(dir, "ckpt")
	write(resumed, 2, ckpt, false)
	write(resumed, 4, ckpt, true)
	a, b := readCSV(t, straight), readCSV(t, resumed)
	require.Len(t, a, 5)
	require.Len(t, b, 5, "one header, each epoch once")
	for _, rows := range [][][]string{a, b} {
		for _, r := range rows[1:] {
			r[6], r[7] = "", "" // seconds, examples_per_sec
		}
	}
	require.Equal(t, a, b)
	for i, r := range b[1:] {
		require.Equal(t, strconv.Itoa(i+1), r[0])
		lr, err := strconv.ParseFloat(r[5], 64)
		require.NoError(t, err)
		require.InDelta(t, 0.1*(1+math.Cos(math.Pi*float64(i)/4))/2, lr, 1e-15, "epoch %d's lr", i+1)
	}
}

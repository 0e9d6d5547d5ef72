package runs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

func epochs(n int) []train.EpochMetrics {
	var out []train.EpochMetrics
	for e := 1; e <= n; e++ {
		out = append(out, train.EpochMetrics{Epoch: e, TrainLoss: 1 / float64(e), TrainAccuracy: 0.5 + 0.04*float64(e),
			ValLoss: 1.2 / float64(e), ValAccuracy: 0.5 + 0.03*float64(e), LR: 0.1, Seconds: 0.5, ExamplesPerSec: 1000,
			Val: map[string]float64{"accuracy": 0.5 + 0.03*float64(e)}})
	}
	return out
}

func TestStoreRoundTrip(t *testing.T) {
	s, err := Open(t.TempDir())
	require.NoError(t, err)
	r, err := s.Begin(Record{Kind: "train", Command: []string{"train", "--epochs", "3"}, Config: map[string]string{"epochs": "3", "lr": "0.1"},
		Model: "mlp", Optimizer: "momentum", Data: "moons"})
	require.NoError(t, err)
	got, eps, err := s.Get(r.ID())
	require.NoError(t, err)
	require.Equal(t, Running, got.Status)
	require.Empty(t, eps)
	for _, m := range epochs(3) {
		require.NoError(t, r.Epoch(m))
	}
	// A regression epoch without validation: absent values come back NaN.
	reg := train.EpochMetrics{Epoch: 4, TrainLoss: 0.125, TrainAccuracy: math.NaN(), ValLoss: math.NaN(),
		ValAccuracy: math.NaN(), LR: math.NaN(), Seconds: 0.25, ExamplesPerSec: 3e6}
	require.NoError(t, r.Epoch(reg))
	require.NoError(t, r.Finish(map[string]float64{"test_accuracy": 0.97, "test_rmse": math.NaN()}, map[string]string{"checkpoint": "ckpt/last.safetensors"}, nil))
	got, eps, err = s.Get(r.ID())
	require.NoError(t, err)
	require.Equal(t, Finished, got.Status)
	require.Len(t, eps, 4)
	require.Equal(t, epochs(3), eps[:3])
	require.Equal(t, []float64{4, 0.125, 0.25, 3e6}, []float64{float64(eps[3].Epoch), eps[3].TrainLoss, eps[3].Seconds, eps[3].ExamplesPerSec})
	for _, v := range []float64{eps[3].TrainAccuracy, eps[3].ValLoss, eps[3].ValAccuracy, eps[3].LR} {
		require.True(t, math.IsNaN(v), "%+v", eps[3])
	}
	require.Nil(t, eps[3].Val, "no validation metrics, not accuracy NaN")
	require.Equal(t, map[string]float64{"test_accuracy": 0.97}, got.Results, "NaN results are left out")
	require.Equal(t, map[string]string{"checkpoint": "ckpt/last.safetensors"}, got.Artifacts)
	require.Equal(t, []string{"train", "--epochs", "3"}, got.Command)
	require.Equal(t, map[string]string{"epochs": "3", "lr": "0.1"}, got.Config)
	require.Equal(t, []string{"train", "mlp", "momentum", "moons"}, []string{got.Kind, got.Model, got.Optimizer, got.Data})
	require.Equal(t, ThisMachine(), got.Machine)
	require.Equal(t, runtime.Version(), got.Machine.Go)
	require.Equal(t, os.Getpid(), got.PID)
	require.Equal(t, Version(), got.Version)
	require.Empty(t, got.Error)
	require.True(t, strings.HasPrefix(got.ID, got.Start.Format("20060102-150405")+"-train-"), got.ID)
	require.False(t, got.End.Before(got.Start), "start %v, end %v", got.Start, got.End)
}

// A regression run's epochs read back without a validation accuracy: its
// charts show the loss and its first metric by name (mae), as the run's
// own History does.
func TestRegressionEpochsReadBack(t *testing.T) {
	s, _ := Open(t.TempDir())
	r, _ := s.Begin(Record{Kind: "train"})
	var want []train.EpochMetrics
	for e := 1; e <= 3; e++ {
		want = append(want, train.EpochMetrics{Epoch: e, TrainLoss: 1 / float64(e), TrainAccuracy: math.NaN(), ValLoss: 2 / float64(e),
			ValAccuracy: math.NaN(), LR: 0.1, Seconds: 1, ExamplesPerSec: 10,
			Val: map[string]float64{"rmse": 3 / float64(e), "mae": 4 / float64(e), "r2": 0.5}})
		require.NoError(t, r.Epoch(want[e-1]))
	}
	require.NoError(t, r.Finish(nil, nil, nil))
	_, eps, err := s.Get(r.ID())
	require.NoError(t, err)
	require.Len(t, eps, 3)
	for i := range eps {
		require.Equal(t, want[i].Val, eps[i].Val)
		require.True(t, math.IsNaN(eps[i].ValAccuracy))
	}
	require.Equal(t, report.HistoryCharts(want), report.HistoryCharts(eps))
	require.Equal(t, "validation mae", report.HistoryCharts(eps)[1].Title)
}

func TestStatuses(t *testing.T) {
	s, _ := Open(t.TempDir())
	a, _ := s.Begin(Record{Kind: "train"})
	require.NoError(t, a.Finish(nil, nil, fmt.Errorf("train: epoch 1: %w", train.ErrInterrupted)))
	b, _ := s.Begin(Record{Kind: "train"})
	require.NoError(t, b.Finish(nil, nil, errors.New("boom")))
	c, _ := s.Begin(Record{Kind: "train"})
	// A process that died without finishing: its PID is no longer alive.
	c.rec.PID = 1 << 30
	require.NoError(t, c.save())
	for id, want := range map[string]string{a.ID(): Interrupted, b.ID(): Failed, c.ID(): Lost} {
		rec, _, err := s.Get(id)
		require.NoError(t, err)
		require.Equal(t, want, rec.Status)
	}
	failed, err := s.List(Filter{Status: Failed})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, "boom", failed[0].Error)
	_, _, err = s.Get("../etc")
	require.ErrorIs(t, err, ErrNotFound)
}

// Runs begun and written concurrently get distinct folders and readable
// records; a torn last line of epochs.jsonl is skipped.
func TestConcurrentRuns(t *testing.T) {
	s, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := s.Begin(Record{Kind: "bench", Model: fmt.Sprint(i)})
			if err != nil {
				t.Error(err)
				return
			}
			for _, m := range epochs(5) {
				if err := r.Epoch(m); err != nil {
					t.Error(err)
				}
			}
			if err := r.Finish(map[string]float64{"i": float64(i)}, nil, nil); err != nil {
				t.Error(err)
			}
			ids[i] = r.ID()
		}(i)
	}
	wg.Wait()
	recs, err := s.List(Filter{Kind: "bench"})
	require.NoError(t, err)
	require.Len(t, recs, 16)
	for i, id := range ids {
		rec, eps, err := s.Get(id)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), rec.Model, "each run's own record")
		require.Equal(t, map[string]float64{"i": float64(i)}, rec.Results)
		require.Equal(t, Finished, rec.Status)
		require.Equal(t, epochs(5), eps, "each run's own epochs, each once")
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, ids[0], "epochs.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = f.WriteString(`{"epoch": 6, "train_lo`)
	f.Close()
	_, eps, err := s.Get(ids[0])
	require.NoError(t, err)
	require.Len(t, eps, 5, "the torn line is skipped")
}

func TestViews(t *testing.T) {
	s, _ := Open(t.TempDir())
	var recs []Record
	for i, lr := range []string{"0.1", "0.01"} {
		r, _ := s.Begin(Record{Kind: "train", Command: []string{"train", "--lr", lr}, Config: map[string]string{"lr": lr, "epochs": "3"}, Model: "mlp"})
		for _, m := range epochs(3) {
			_ = r.Epoch(m)
		}
		require.NoError(t, r.Finish(map[string]float64{"test_accuracy": 0.9 + 0.01*float64(i), "test_loss": math.NaN()}, nil, nil))
		rec, _, _ := s.Get(r.ID())
		recs = append(recs, rec)
	}
	var buf bytes.Buffer
	require.NoError(t, WriteList(&buf, recs))
	list := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, list, 3)
	require.Regexp(t, `^ID +KIND +STATUS +MODEL +OPTIMIZER +DATA +RESULT +TIME$`, list[0])
	for i, r := range recs {
		require.Regexp(t, `^`+r.ID+` +train +finished +mlp +`+fmt.Sprintf("test accuracy %.2f%%", 90+float64(i))+` +\d`, list[i+1])
	}
	buf.Reset()
	require.NoError(t, WriteCompare(&buf, recs))
	cmp := buf.String()
	require.Regexp(t, `(?m)^  lr +0\.1 +0\.01 *$`, cmp, "the differing flag, run by run")
	require.Regexp(t, `(?m)^  test_accuracy +0\.9 +0\.91 *$`, cmp)
	require.Regexp(t, `(?m)^  status +finished +finished *$`, cmp)
	require.NotContains(t, cmp, "epochs", "only what differs")
	require.NotContains(t, cmp, "test_loss", "a NaN result is absent")
	buf.Reset()
	rec, eps, _ := s.Get(recs[0].ID)
	require.NoError(t, WriteShow(&buf, rec, eps))
	show := buf.String()
	require.Contains(t, show, "command: descent train --lr 0.1\n")
	require.Contains(t, show, "config:\n  epochs = 3\n  lr = 0.1\n")
	require.Contains(t, show, "results:\n  test_accuracy = 0.9\n")
	// The epoch table: one right-aligned row per epoch with its values.
	for _, m := range epochs(3) {
		require.Regexp(t, fmt.Sprintf(`(?m)^ *%d +%.4g +%.2f%% +%.4g +%.2f%% +0\.1 +0\.50 *$`,
			m.Epoch, m.TrainLoss, 100*m.TrainAccuracy, m.ValLoss, 100*m.ValAccuracy), show)
	}
	buf.Reset()
	require.NoError(t, s.Report(&buf, recs))
	html := buf.String()
	require.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))
	require.Equal(t, 2+4, strings.Count(html, "<svg"), "two comparison charts, two charts per run")
	require.Contains(t, html, "all runs: validation accuracy")
	for _, r := range recs {
		require.Equal(t, 2, strings.Count(html, r.ID+" (lr "+r.Config["lr"]+")</text>"), "run %s: in both comparison legends, with the setting that differs", r.ID)
		require.Contains(t, html, r.ID+": loss</text>", "run %s's own chart", r.ID)
	}
	for _, ext := range []string{`src="http`, `href="http`, "<link", "<script", "@import"} {
		require.NotContains(t, html, ext, "self-contained: no external resources")
	}
}

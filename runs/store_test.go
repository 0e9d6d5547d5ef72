package runs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

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
	got, _, err := s.Get(r.ID())
	require.NoError(t, err)
	require.Equal(t, Running, got.Status)
	for _, m := range epochs(3) {
		require.NoError(t, r.Epoch(m))
	}
	require.NoError(t, r.Finish(map[string]float64{"test_accuracy": 0.97}, map[string]string{"checkpoint": "ckpt/last.safetensors"}, nil))
	got, eps, err := s.Get(r.ID())
	require.NoError(t, err)
	require.Equal(t, Finished, got.Status)
	require.Equal(t, epochs(3), eps)
	require.Equal(t, 0.97, got.Results["test_accuracy"])
	require.NotEmpty(t, got.Machine.CPU+got.Machine.OS)
	require.False(t, got.End.IsZero())
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
	for _, id := range ids {
		_, eps, err := s.Get(id)
		require.NoError(t, err)
		require.Len(t, eps, 5)
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
	require.Contains(t, buf.String(), "test accuracy 91.00%")
	buf.Reset()
	require.NoError(t, WriteCompare(&buf, recs))
	require.Contains(t, buf.String(), "lr")
	require.NotContains(t, buf.String(), "epochs", "only what differs")
	buf.Reset()
	rec, eps, _ := s.Get(recs[0].ID)
	require.NoError(t, WriteShow(&buf, rec, eps))
	require.Contains(t, buf.String(), "command: descent train --lr 0.1")
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

package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/train"
)

func history() []train.EpochMetrics {
	var h []train.EpochMetrics
	for e := 1; e <= 4; e++ {
		h = append(h, train.EpochMetrics{Epoch: e, TrainLoss: 1 / float64(e*e*e), TrainAccuracy: 0.5 + 0.1*float64(e),
			ValLoss: 2 / float64(e), ValAccuracy: 0.4 + 0.1*float64(e), LR: 0.1, Seconds: 1, ExamplesPerSec: 100,
			Val: map[string]float64{"accuracy": 0.4 + 0.1*float64(e), "top3_accuracy": 0.9}})
	}
	return h
}

// The CSV holds exactly the history's values, one row per epoch, and a
// resumed run appends without a second header.
func TestMetricsFileCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv")
	w, err := CreateMetricsFile(path, false)
	require.NoError(t, err)
	h := history()
	for _, m := range h[:2] {
		require.NoError(t, w.Write(m))
	}
	require.NoError(t, w.Close())
	w, err = CreateMetricsFile(path, true)
	require.NoError(t, err)
	for _, m := range h[2:] {
		require.NoError(t, w.Write(m))
	}
	require.NoError(t, w.Close())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 5)
	require.Equal(t, append(append([]string(nil), csvHeader...), "val_top3_accuracy"), rows[0])
	require.Equal(t, []string{"3", "0.037037037037037035", "0.8", "0.6666666666666666", "0.7000000000000001", "0.1", "1", "100", "0.9"}, rows[3])
}

func TestMetricsFileJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.jsonl")
	w, err := CreateMetricsFile(path, false)
	require.NoError(t, err)
	h := history()
	h[1].ValLoss = math.NaN()
	for _, m := range h {
		require.NoError(t, w.Write(m))
	}
	require.NoError(t, w.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 4)
	var row map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &row))
	require.Equal(t, 2.0, row["epoch"])
	require.Equal(t, h[1].TrainLoss, row["train_loss"])
	require.Equal(t, h[1].TrainAccuracy, row["train_accuracy"])
	require.Nil(t, row["val_loss"], "NaN is written as null")
	require.Equal(t, 0.9, row["val_top3_accuracy"])
}

func TestHistoryPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.png")
	require.NoError(t, SaveHistory(path, history()))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, 2*6*96, img.Bounds().Dx(), "two panels, loss and accuracy")
	require.ErrorContains(t, SaveHistory(filepath.Join(t.TempDir(), "h.gif"), history()), "want a .png or .svg")
}

// The loss spans three decades: a log axis; a diverged series is cut at
// its last finite value and marked, not drawn to 1e37.
func TestChartAxesAndDivergence(t *testing.T) {
	require.True(t, useLog([]float64{1, 0.5, 0.001}))
	require.False(t, useLog([]float64{1, 0.5, 0.02}))
	require.False(t, useLog([]float64{1, -1, 0.001}))
	c := Chart{Title: "t", XLabel: "step", YLabel: "loss", Series: []Series{
		{Name: "ok", X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0.001}},
		{Name: "sgd lr 10", X: []float64{1, 2, 3}, Y: []float64{1, 1e37, math.Inf(1)}},
	}}
	svg, err := c.Render("svg")
	require.NoError(t, err)
	s := string(svg)
	require.Contains(t, s, "<svg")
	require.Contains(t, s, "sgd lr 10 (diverged)")
	require.NotContains(t, s, "1e+37")
	xy, div := finite(c.Series[1])
	require.True(t, div)
	require.Len(t, xy, 1)
}

func TestProgressFitsWidth(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf)
	p.width = func() int { return 40 }
	p.EpochStart(3, 10, 60000, 0)
	p.interval = 0
	time.Sleep(time.Millisecond)
	p.Step(30000, 0.1234)
	for _, frame := range strings.Split(buf.String(), "\r") {
		line := strings.TrimSuffix(frame, "\x1b[K")
		require.LessOrEqual(t, len(line), 39, "%q", line)
	}
	require.Contains(t, buf.String(), "30000/60000")
	p.Clear()
	require.True(t, strings.HasSuffix(buf.String(), "\r\x1b[K"))
}

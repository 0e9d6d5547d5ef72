package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotutil"

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
	for i, m := range h {
		want := append(fields(m), m.Val["top3_accuracy"])
		require.Len(t, rows[i+1], len(want))
		for j, cell := range rows[i+1] {
			v, err := strconv.ParseFloat(cell, 64)
			require.NoError(t, err)
			require.Equal(t, want[j], v, "row %d, %s", i+1, rows[0][j])
		}
	}
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
	for i, m := range h {
		var row map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &row))
		require.Len(t, row, len(csvHeader)+1, "the columns and val_top3_accuracy: %s", lines[i])
		for j, k := range csvHeader {
			want := fields(m)[j]
			if math.IsNaN(want) {
				require.Contains(t, row, k)
				require.Nil(t, row[k], "NaN is written as null")
				continue
			}
			require.Equal(t, want, row[k], "line %d, %s", i+1, k)
		}
		require.Equal(t, 0.9, row["val_top3_accuracy"])
	}
	require.Contains(t, lines[1], `"val_loss":null`)
}

// The charts plot the history's own values: loss and accuracy for a
// classifier; for a regression (no accuracy) the loss and the first
// validation metric by name; without a validation set, the training
// series alone.
func TestHistoryCharts(t *testing.T) {
	h := history()
	cs := HistoryCharts(h)
	require.Len(t, cs, 2)
	require.Equal(t, "loss", cs[0].Title)
	require.Equal(t, "accuracy", cs[1].Title)
	xs := []float64{1, 2, 3, 4}
	get := func(f func(train.EpochMetrics) float64) []float64 {
		var out []float64
		for _, m := range h {
			out = append(out, f(m))
		}
		return out
	}
	require.Equal(t, []Series{
		{Name: "train", X: xs, Y: get(func(m train.EpochMetrics) float64 { return m.TrainLoss })},
		{Name: "validation", X: xs, Y: get(func(m train.EpochMetrics) float64 { return m.ValLoss })},
	}, cs[0].Series)
	require.Equal(t, []Series{
		{Name: "train", X: xs, Y: get(func(m train.EpochMetrics) float64 { return m.TrainAccuracy })},
		{Name: "validation", X: xs, Y: get(func(m train.EpochMetrics) float64 { return m.ValAccuracy })},
	}, cs[1].Series)
	require.True(t, cs[1].ForceLinear, "accuracy is on a linear axis")

	reg := history()
	for i := range reg {
		reg[i].TrainAccuracy, reg[i].ValAccuracy = math.NaN(), math.NaN()
		reg[i].Val = map[string]float64{"rmse": float64(10 - i), "mae": float64(5 - i)}
	}
	cs = HistoryCharts(reg)
	require.Len(t, cs, 2)
	require.Equal(t, "validation mae", cs[1].Title, "the first metric by name")
	require.Equal(t, []Series{{Name: "mae", X: xs, Y: []float64{5, 4, 3, 2}}}, cs[1].Series)

	noVal := history()
	for i := range noVal {
		noVal[i].ValLoss, noVal[i].ValAccuracy, noVal[i].Val = math.NaN(), math.NaN(), nil
	}
	cs = HistoryCharts(noVal)
	require.Len(t, cs, 2)
	require.Len(t, cs[0].Series, 1)
	require.Equal(t, "train", cs[0].Series[0].Name)
	require.Len(t, cs[1].Series, 1)
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
	// Both curves are drawn in both panels: pixels near each series' colour
	// (the lines are anti-aliased) in each half of the image.
	b := img.Bounds()
	for panel := range 2 {
		for i := range 2 {
			want := plotutil.Color(i)
			wr, wg, wb, _ := want.RGBA()
			near := 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X + panel*b.Dx()/2; x < b.Min.X+(panel+1)*b.Dx()/2; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					d := math.Abs(float64(r)-float64(wr)) + math.Abs(float64(g)-float64(wg)) + math.Abs(float64(bl)-float64(wb))
					if d < 3*0x1000 {
						near++
					}
				}
			}
			require.Greater(t, near, 100, "panel %d, series %d (200 to 375 pixels here)", panel, i)
		}
	}
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

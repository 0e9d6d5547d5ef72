package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/descent-ml/descent/train"
)

// HistoryCharts returns the charts of a run's history: the training and
// validation loss per epoch, and the accuracy (or, for regression, the
// first validation metric) when there is one.
func HistoryCharts(epochs []train.EpochMetrics) []Chart {
	series := func(name string, get func(train.EpochMetrics) float64) Series {
		s := Series{Name: name}
		for _, m := range epochs {
			v := get(m)
			if math.IsNaN(v) && !math.IsNaN(m.TrainLoss) {
				continue // absent (no validation set)
			}
			s.X, s.Y = append(s.X, float64(m.Epoch)), append(s.Y, v)
		}
		return s
	}
	keep := func(ss ...Series) []Series {
		var out []Series
		for _, s := range ss {
			if len(s.X) > 0 {
				out = append(out, s)
			}
		}
		return out
	}
	charts := []Chart{{Title: "loss", XLabel: "epoch", YLabel: "loss", Series: keep(
		series("train", func(m train.EpochMetrics) float64 { return m.TrainLoss }),
		series("validation", func(m train.EpochMetrics) float64 { return m.ValLoss }))}}
	acc := keep(series("train", func(m train.EpochMetrics) float64 { return m.TrainAccuracy }),
		series("validation", func(m train.EpochMetrics) float64 { return m.ValAccuracy }))
	if len(acc) > 0 {
		charts = append(charts, Chart{Title: "accuracy", XLabel: "epoch", YLabel: "accuracy", Series: acc, ForceLinear: true})
	} else if len(epochs) > 0 && len(epochs[0].Val) > 0 {
		var names []string
		for k := range epochs[0].Val {
			names = append(names, k)
		}
		sort.Strings(names)
		k := names[0]
		charts = append(charts, Chart{Title: "validation " + k, XLabel: "epoch", YLabel: k,
			Series: keep(series(k, func(m train.EpochMetrics) float64 { return m.Val[k] }))})
	}
	return charts
}

// SaveHistory writes a run's charts side by side as one PNG or SVG.
func SaveHistory(path string, epochs []train.EpochMetrics) error {
	if len(epochs) == 0 {
		return fmt.Errorf("report: SaveHistory: no epochs to plot")
	}
	charts := HistoryCharts(epochs)
	const w, h = 6 * vg.Inch, 4 * vg.Inch
	width := w * vg.Length(len(charts))
	var canvas vg.CanvasWriterTo
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(width, h)}
	case ".svg":
		canvas = vgsvg.New(width, h)
	default:
		return fmt.Errorf("report: SaveHistory: %s: want a .png or .svg file", path)
	}
	dc := draw.New(canvas)
	for i, c := range charts {
		left := w * vg.Length(i)
		tile := draw.Crop(dc, left, -(width - left - w), 0, 0)
		if err := c.draw(tile); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: SaveHistory: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("report: SaveHistory: %w", err)
	}
	return f.Close()
}

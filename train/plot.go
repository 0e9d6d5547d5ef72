package train

import (
	"fmt"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot writes a PNG with the training and validation loss per epoch and,
// when the history has accuracies, a second panel with them.
func Plot(path string, epochs []EpochMetrics) error {
	if len(epochs) == 0 {
		return fmt.Errorf("train: Plot: no epochs to plot")
	}
	series := func(get func(EpochMetrics) float64) plotter.XYs {
		var xy plotter.XYs
		for _, m := range epochs {
			if v := get(m); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(m.Epoch), Y: v})
			}
		}
		return xy
	}
	panel := func(title, ylabel string, lines ...any) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = ylabel
		p.Legend.Top = true
		var keep []any
		for i := 0; i < len(lines); i += 2 {
			if xy := lines[i+1].(plotter.XYs); len(xy) > 0 {
				keep = append(keep, lines[i], xy)
			}
		}
		if len(keep) == 0 {
			return nil, nil
		}
		if err := plotutil.AddLinePoints(p, keep...); err != nil {
			return nil, err
		}
		return p, nil
	}
	loss, err := panel("loss", "loss",
		"train", series(func(m EpochMetrics) float64 { return m.TrainLoss }),
		"validation", series(func(m EpochMetrics) float64 { return m.ValLoss }))
	if err != nil {
		return fmt.Errorf("train: Plot: %w", err)
	}
	acc, err := panel("accuracy", "accuracy",
		"train", series(func(m EpochMetrics) float64 { return m.TrainAccuracy }),
		"validation", series(func(m EpochMetrics) float64 { return m.ValAccuracy }))
	if err != nil {
		return fmt.Errorf("train: Plot: %w", err)
	}
	plots := []*plot.Plot{loss}
	if acc != nil {
		plots = append(plots, acc)
	}
	const w, h = 6 * vg.Inch, 4 * vg.Inch
	img := vgimg.New(w*vg.Length(len(plots)), h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter, PadY: vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	if err := savePNG(path, img); err != nil {
		return fmt.Errorf("train: Plot: %w", err)
	}
	return nil
}
func savePNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package optbench

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// figure is a plot with its legend kept apart, drawn to the right of the
// data so it never covers it.
type figure struct {
	p      *plot.Plot
	legend plot.Legend
	n      int // series added
}

func newFigure(title, x, y string) *figure {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(9)
	return &figure{p: p, legend: leg}
}

func (f *figure) next() (color.Color, []vg.Length, draw.GlyphDrawer) {
	i := f.n
	f.n++
	return plotutil.Color(i), plotutil.Dashes(i / 7), plotutil.Shape(i)
}

// logY sets a logarithmic y axis.
func (f *figure) logY() {
	f.p.Y.Scale = plot.LogScale{}
	f.p.Y.Tick.Marker = logTicks{}
}

// logX sets a logarithmic x axis.
func (f *figure) logX() {
	f.p.X.Scale = plot.LogScale{}
	f.p.X.Tick.Marker = logTicks{}
}

// logTicks labels powers of ten when the axis spans at least two of them,
// and round values in between otherwise (a log axis from 85 to 350 has no
// power of ten to label).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo > 0 && hi/lo >= 10 {
		t := plot.LogTicks{Prec: -1}.Ticks(lo, hi)
		labelled := 0
		for _, x := range t {
			if x.Label != "" {
				labelled++
			}
		}
		if labelled >= 2 {
			return t
		}
	}
	return plot.DefaultTicks{}.Ticks(lo, hi)
}

// band adds a line through ys with a shaded band ys-std..ys+std (floor:
// the lowest value a log axis can show) and crosses at marks.
func (f *figure) band(label string, xs, ys, std []float64, floor float64, marks plotter.XYs) error {
	col, dash, glyph := f.next()
	var line, lo, hi plotter.XYs
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) || ys[i] < floor {
			continue
		}
		line = append(line, plotter.XY{X: xs[i], Y: ys[i]})
		s := 0.0
		if std != nil && !math.IsNaN(std[i]) {
			s = std[i]
		}
		lo = append(lo, plotter.XY{X: xs[i], Y: math.Max(ys[i]-s, floor)})
		hi = append(hi, plotter.XY{X: xs[i], Y: ys[i] + s})
	}
	var thumbs []plot.Thumbnailer
	if len(line) > 0 {
		if std != nil && len(line) > 1 {
			poly := append(append(plotter.XYs{}, lo...), reverse(hi)...)
			pg, err := plotter.NewPolygon(poly)
			if err != nil {
				return err
			}
			r, g, b, _ := col.RGBA()
			pg.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 45}
			pg.LineStyle.Width = 0
			f.p.Add(pg)
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return err
		}
		l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.5)
		f.p.Add(l)
		thumbs = append(thumbs, l)
	}
	if len(marks) > 0 {
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		f.p.Add(sc)
		if len(thumbs) == 0 {
			thumbs = append(thumbs, sc)
		}
	}
	_ = glyph
	if len(thumbs) > 0 {
		f.legend.Add(label, thumbs...)
	}
	return nil
}

// points adds a line with markers through (xs, ys) and crosses at marks.
func (f *figure) points(label string, pts, marks plotter.XYs) error {
	col, dash, glyph := f.next()
	var thumbs []plot.Thumbnailer
	if len(pts) > 0 {
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		l.Color, l.Dashes = col, dash
		s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2.5), Shape: glyph}
		f.p.Add(l, s)
		thumbs = append(thumbs, l, s)
	}
	if len(marks) > 0 {
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		f.p.Add(sc)
		if len(thumbs) == 0 {
			thumbs = append(thumbs, sc)
		}
	}
	if len(thumbs) > 0 {
		f.legend.Add(label, thumbs...)
	}
	return nil
}

// steps adds a step function through pts (a performance profile).
func (f *figure) steps(label string, pts plotter.XYs) error {
	col, dash, _ := f.next()
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.StepStyle = plotter.PostStep
	l.Color, l.Dashes, l.Width = col, dash, vg.Points(1.5)
	f.p.Add(l)
	f.legend.Add(label, l)
	return nil
}

func reverse(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i := range xy {
		out[i] = xy[len(xy)-1-i]
	}
	return out
}

const (
	figW, figH, legendW = 8 * vg.Inch, 4.5 * vg.Inch, 2 * vg.Inch
)

// save writes dir/name.png and dir/name.svg.
func (f *figure) save(dir, name string) ([]string, error) {
	draw1 := func(c vg.CanvasSizer) {
		dc := draw.New(c)
		f.p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
		leg := draw.Crop(dc, figW-legendW+vg.Points(8), 0, 0, -vg.Points(24))
		f.legend.Draw(leg)
	}
	png := vgimg.PngCanvas{Canvas: vgimg.New(figW, figH)}
	draw1(png)
	svg := vgsvg.New(figW, figH)
	draw1(svg)
	var out []string
	for _, w := range []struct {
		ext string
		c   io.WriterTo
	}{{".png", png}, {".svg", svg}} {
		path := filepath.Join(dir, name+w.ext)
		file, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		_, err = w.c.WriteTo(file)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		out = append(out, name+w.ext)
	}
	return out, nil
}

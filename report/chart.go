package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one line of a Chart; Lo and Hi, when set, draw a band (mean ±
// std) around it.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Chart is a line chart. LogY is decided from the data unless ForceLinear.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	LogX                  bool
	ForceLinear           bool
	Width, Height         vg.Length // default 6 x 4 inches
}

// Save writes the chart as PNG or SVG, by path's extension.
func (c Chart) Save(path string) error {
	b, err := c.Render(strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."))
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("report: chart: %w", err)
	}
	return nil
}

// Render returns the chart as "png" or "svg" bytes.
func (c Chart) Render(format string) ([]byte, error) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 6 * vg.Inch
	}
	if h == 0 {
		h = 4 * vg.Inch
	}
	var canvas vg.CanvasWriterTo
	switch format {
	case "png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	case "svg":
		canvas = vgsvg.New(w, h)
	default:
		return nil, fmt.Errorf("report: chart: format %q (want png or svg)", format)
	}
	if err := c.draw(draw.New(canvas)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: chart: %w", err)
	}
	return buf.Bytes(), nil
}

// finite splits a series at its first non-finite value: the points before
// it, and whether it diverged.
func finite(s Series) (xy plotter.XYs, diverged bool) {
	for i := range s.Y {
		y := s.Y[i]
		if math.IsNaN(y) || math.IsInf(y, 0) || math.Abs(y) > 1e30 {
			return xy, true
		}
		xy = append(xy, plotter.XY{X: s.X[i], Y: y})
	}
	return xy, false
}

// useLog reports whether positive values spanning more than two decades
// call for a log axis.
func useLog(vals []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vals {
		if v <= 0 {
			return false
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return hi > 0 && hi/lo > 100
}

// draw lays out a legend strip above the plot, so the legend never covers
// the curves.
func (c Chart) draw(dc draw.Canvas) error {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	var all []float64
	type line struct {
		xy       plotter.XYs
		diverged bool
		s        Series
	}
	var lines []line
	for _, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("report: chart %q: series %q has %d x and %d y values", c.Title, s.Name, len(s.X), len(s.Y))
		}
		xy, div := finite(s)
		for _, pt := range xy {
			all = append(all, pt.Y)
		}
		for i := range xy {
			if i < len(s.Lo) && !math.IsNaN(s.Lo[i]) {
				all = append(all, s.Lo[i], s.Hi[i])
			}
		}
		lines = append(lines, line{xy, div, s})
	}
	logY := !c.ForceLinear && useLog(all)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if c.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	entries := 0
	for i, l := range lines {
		col := plotutil.Color(i)
		if len(l.s.Lo) == len(l.s.Y) && len(l.xy) > 0 {
			var poly plotter.XYs
			for j := range l.xy {
				poly = append(poly, plotter.XY{X: l.xy[j].X, Y: bandEdge(l.s.Lo[j], l.xy[j].Y, logY)})
			}
			for j := len(l.xy) - 1; j >= 0; j-- {
				poly = append(poly, plotter.XY{X: l.xy[j].X, Y: bandEdge(l.s.Hi[j], l.xy[j].Y, logY)})
			}
			if band, err := plotter.NewPolygon(poly); err == nil {
				r, g, b, _ := col.RGBA()
				band.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 50}
				band.LineStyle.Width = 0
				p.Add(band)
			}
		}
		name := l.s.Name
		if len(l.xy) > 0 {
			ln, err := plotter.NewLine(l.xy)
			if err != nil {
				return fmt.Errorf("report: chart %q: %w", c.Title, err)
			}
			ln.Color = col
			ln.Dashes = plotutil.Dashes(i)
			p.Add(ln)
			legend.Add(name, ln)
			entries++
		}
		if l.diverged {
			mark := plotter.XYs{{X: l.s.X[len(l.xy)], Y: 0}}
			if len(l.xy) > 0 {
				mark = plotter.XYs{l.xy[len(l.xy)-1]}
			}
			if len(l.xy) == 0 && logY {
				continue
			}
			sc, err := plotter.NewScatter(mark)
			if err == nil {
				sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
				p.Add(sc)
				legend.Add(name+" (diverged)", sc)
				entries++
			}
		}
	}
	legendH := vg.Length(entries+1) * legend.TextStyle.Font.Size * 1.3
	if entries == 0 {
		legendH = 0
	}
	top := draw.Crop(dc, 0, 0, dc.Max.Y-dc.Min.Y-legendH, 0)
	bottom := draw.Crop(dc, 0, 0, 0, -legendH)
	p.Draw(bottom)
	if legendH > 0 {
		legend.Draw(top)
	}
	return nil
}

// bandEdge is a band's edge v, or the line's y where a log axis cannot
// show v.
func bandEdge(v, y float64, logY bool) float64 {
	if math.IsNaN(v) || (logY && v <= 0) {
		return y
	}
	return v
}

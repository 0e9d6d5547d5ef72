package runs

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/report"
	"github.com/descent-ml/descent/train"
)

// headline is a run's main result: an accuracy (test, else validation,
// else training), else an RMSE or a loss in the same order.
func headline(r Record) string {
	for _, k := range []string{"test_accuracy", "val_accuracy", "train_accuracy", "accuracy"} {
		if v, ok := r.Results[k]; ok && !math.IsNaN(v) {
			return fmt.Sprintf("%s %.2f%%", strings.ReplaceAll(k, "_", " "), 100*v)
		}
	}
	if v, ok := r.Results["best_gflops_f32"]; ok {
		return fmt.Sprintf("%.1f GFLOP/s (float32)", v)
	}
	for _, k := range []string{"test_rmse", "val_rmse", "train_rmse", "test_loss", "val_loss", "train_loss"} {
		if v, ok := r.Results[k]; ok {
			return fmt.Sprintf("%s %.4g", k, v)
		}
	}
	return ""
}

func duration(r Record) string {
	if r.End.IsZero() {
		return ""
	}
	return r.End.Sub(r.Start).Round(100 * time.Millisecond).String()
}

// WriteList prints the records as a table.
func WriteList(w io.Writer, recs []Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tMODEL\tOPTIMIZER\tDATA\tRESULT\tTIME")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Status, r.Model, r.Optimizer, r.Data, headline(r), duration(r))
	}
	return tw.Flush()
}

// WriteShow prints one run: its record and its epochs.
func WriteShow(w io.Writer, r Record, epochs []train.EpochMetrics) error {
	fmt.Fprintf(w, "run %s (%s): %s\n", r.ID, r.Kind, r.Status)
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	fmt.Fprintf(w, "command: descent %s\n", strings.Join(r.Command, " "))
	fmt.Fprintf(w, "started %s", r.Start.Format(time.RFC3339))
	if d := duration(r); d != "" {
		fmt.Fprintf(w, ", took %s", d)
	}
	fmt.Fprintf(w, "\ncode: %s\nmachine: %s, %s, %d cores, GOMAXPROCS %d, %s, %s\n", r.Version, r.Machine.Host, r.Machine.CPU,
		r.Machine.Cores, r.Machine.GOMAXPROCS, r.Machine.Backend, r.Machine.Go)
	fmt.Fprintln(w, "config:")
	for _, k := range sortedKeys(r.Config) {
		fmt.Fprintf(w, "  %s = %s\n", k, r.Config[k])
	}
	if len(r.Results) > 0 {
		fmt.Fprintln(w, "results:")
		for _, k := range sortedKeys(r.Results) {
			fmt.Fprintf(w, "  %s = %.6g\n", k, r.Results[k])
		}
	}
	if len(r.Artifacts) > 0 {
		fmt.Fprintln(w, "artifacts:")
		for _, k := range sortedKeys(r.Artifacts) {
			fmt.Fprintf(w, "  %s: %s\n", k, r.Artifacts[k])
		}
	}
	if len(epochs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "epoch\ttrain loss\ttrain acc\tval loss\tval acc\tlr\tseconds\t")
	for _, m := range epochs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", m.Epoch, num(m.TrainLoss), pct(m.TrainAccuracy), num(m.ValLoss),
			pct(m.ValAccuracy), num(m.LR), m.Seconds)
	}
	return tw.Flush()
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4g", v)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// WriteCompare prints runs side by side: the configuration entries that
// differ between them, then every result.
func WriteCompare(w io.Writer, recs []Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "\t"
	for _, r := range recs {
		head += r.ID + "\t"
	}
	fmt.Fprintln(tw, head)
	fmt.Fprintln(tw, "config that differs:\t")
	for _, k := range differing(recs) {
		line := "  " + k + "\t"
		for _, r := range recs {
			line += orDash(r.Config[k]) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	res := map[string]bool{}
	for _, r := range recs {
		for k := range r.Results {
			res[k] = true
		}
	}
	fmt.Fprintln(tw, "results:\t")
	for _, k := range sortedKeys(res) {
		line := "  " + k + "\t"
		for _, r := range recs {
			v, ok := r.Results[k]
			if ok {
				line += fmt.Sprintf("%.6g\t", v)
			} else {
				line += "-\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	line := "  status\t"
	for _, r := range recs {
		line += r.Status + "\t"
	}
	fmt.Fprintln(tw, line)
	return tw.Flush()
}

// differing returns the configuration keys whose values are not the same
// in all of recs, sorted.
func differing(recs []Record) []string {
	keys := map[string]bool{}
	for _, r := range recs {
		for k := range r.Config {
			keys[k] = true
		}
	}
	var out []string
	for _, k := range sortedKeys(keys) {
		for _, r := range recs[1:] {
			if r.Config[k] != recs[0].Config[k] {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// label names a run in a comparison legend: its ID and the settings that
// tell it apart from the others (at most three).
func label(r Record, keys []string) string {
	var parts []string
	for _, k := range keys {
		if len(parts) == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, k+" "+orDash(r.Config[k]))
	}
	if len(parts) == 0 {
		return r.ID
	}
	return r.ID + " (" + strings.Join(parts, ", ") + ")"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Report writes a self-contained HTML page: the table of runs and each
// run's learning curves as inline SVG. It needs no network to be viewed.
func (s *Store) Report(w io.Writer, recs []Record) error {
	type runView struct {
		Record
		Headline, Duration string
		Charts             []template.HTML
	}
	var views []runView
	all := map[string][]train.EpochMetrics{}
	for _, r := range recs {
		_, epochs, err := s.Get(r.ID)
		if err != nil {
			return err
		}
		all[r.ID] = epochs
		v := runView{Record: r, Headline: headline(r), Duration: duration(r)}
		if len(epochs) > 0 {
			for _, c := range report.HistoryCharts(epochs) {
				c.Title = r.ID + ": " + c.Title
				c.Width, c.Height = 400, 270
				svg, err := c.Render("svg")
				if err != nil {
					return err
				}
				v.Charts = append(v.Charts, template.HTML(svg)) // our own SVG, from gonum/plot
			}
		}
		views = append(views, v)
	}
	var overlays []template.HTML
	for _, c := range compareCharts(recs, all) {
		svg, err := c.Render("svg")
		if err != nil {
			return err
		}
		overlays = append(overlays, template.HTML(svg))
	}
	return page.Execute(w, struct {
		Store     string
		Generated string
		Runs      []runView
		Compare   []template.HTML
	}{s.Dir, time.Now().UTC().Format(time.RFC3339), views, overlays})
}

// maxOverlay is the most runs drawn on one comparison chart (the palette
// repeats after that and the legend would bury the curves).
const maxOverlay = 10

// compareCharts overlays the runs' curves: the validation loss where a run
// has one, else its training loss, and the validation accuracy of the runs
// that have one. Runs without epochs are left out; nothing is drawn for
// fewer than two runs.
func compareCharts(recs []Record, epochs map[string][]train.EpochMetrics) []report.Chart {
	loss := report.Chart{Title: "all runs: loss (validation where measured, else training)", XLabel: "epoch", YLabel: "loss",
		Width: 560, Height: 320}
	acc := report.Chart{Title: "all runs: validation accuracy", XLabel: "epoch", YLabel: "accuracy", ForceLinear: true,
		Width: 560, Height: 320}
	var drawn []Record
	for _, r := range recs {
		if len(epochs[r.ID]) > 0 && len(drawn) < maxOverlay {
			drawn = append(drawn, r)
		}
	}
	if len(drawn) < 2 {
		return nil
	}
	keys := differing(drawn)
	for _, r := range drawn {
		ep := epochs[r.ID]
		hasVal := !math.IsNaN(ep[len(ep)-1].ValLoss)
		l := report.Series{Name: label(r, keys)}
		a := report.Series{Name: label(r, keys)}
		for _, m := range ep {
			v := m.TrainLoss
			if hasVal {
				v = m.ValLoss
			}
			l.X, l.Y = append(l.X, float64(m.Epoch)), append(l.Y, v)
			if !math.IsNaN(m.ValAccuracy) {
				a.X, a.Y = append(a.X, float64(m.Epoch)), append(a.Y, m.ValAccuracy)
			}
		}
		loss.Series = append(loss.Series, l)
		if len(a.X) > 0 {
			acc.Series = append(acc.Series, a)
		}
	}
	var out []report.Chart
	if len(loss.Series) >= 2 {
		out = append(out, loss)
	}
	if len(acc.Series) >= 2 {
		out = append(out, acc)
	}
	return out
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>descent runs</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; text-align: left; }
th { background: #f0f0f0; }
.finished { color: #1a7f37; } .failed, .lost { color: #cf222e; } .interrupted { color: #9a6700; }
.run { margin-bottom: 2em; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
.charts svg { border: 1px solid #eee; }
code { font-size: 12px; }
</style></head><body>
<h1>descent runs</h1>
<p>{{len .Runs}} runs in <code>{{.Store}}</code>, generated {{.Generated}}.</p>
<table>
<tr><th>ID</th><th>kind</th><th>status</th><th>model</th><th>optimizer</th><th>data</th><th>result</th><th>time</th></tr>
{{range .Runs}}<tr><td><a href="#{{.ID}}">{{.ID}}</a></td><td>{{.Kind}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{.Model}}</td><td>{{.Optimizer}}</td><td>{{.Data}}</td><td>{{.Headline}}</td><td>{{.Duration}}</td></tr>
{{end}}</table>
{{if .Compare}}<h2>Comparison</h2>
<div class="charts">{{range .Compare}}{{.}}{{end}}</div>
{{end}}{{range .Runs}}<div class="run" id="{{.ID}}"><h2>{{.ID}}</h2>
<p><code>descent {{range .Command}}{{.}} {{end}}</code><br>{{.Machine.CPU}}, GOMAXPROCS {{.Machine.GOMAXPROCS}}, {{.Machine.Backend}}; code {{.Version}}{{if .Error}}<br><span class="failed">{{.Error}}</span>{{end}}</p>
<div class="charts">{{range .Charts}}{{.}}{{end}}</div></div>
{{end}}</body></html>
`))

package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

const predictSynopsis = `Prints a checkpoint's predictions as CSV: one row per example of the data
set (by default the checkpoint's held-out test split; --data for another
data set, e.g. csv:new.csv with the training columns). Classifiers print
the predicted class under its original name (as in the training file) and
its probability; regression models the predicted value in the target's
units (undoing --standardize-target).`

type predictArgs struct {
	checkpoint, data, target, out string
}

func predictFlags(stdout io.Writer) (*flag.FlagSet, *predictArgs) {
	fs := newFlagSet("predict", predictSynopsis, stdout)
	a := &predictArgs{}
	fs.StringVar(&a.checkpoint, "checkpoint", "", "checkpoint FILE (required)")
	fs.StringVar(&a.data, "data", "", "predict for this data set (default: the checkpoint's test split)")
	fs.StringVar(&a.target, "target", "", "csv: the target column (default: the checkpoint's)")
	fs.StringVar(&a.out, "out", "", "write the CSV to FILE (default: stdout)")
	return fs, a
}

func runPredict(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, a := predictFlags(stdout)
	if err := noPositional(fs, "predict", args); err != nil {
		return err
	}
	l, err := loadCheckpoint("predict", a.checkpoint)
	if err != nil {
		return err
	}
	r := l.recipe
	if a.data != "" {
		r.data, r.testSplit, r.valSplit, r.testData = a.data, 0, 0, ""
	}
	if a.target != "" {
		r.target = a.target
	}
	p, err := r.prepare(ctx, l.scaling)
	if err != nil {
		return err
	}
	ds := p.test
	if ds == nil || a.data != "" {
		ds = p.train
	}
	g, m, err := l.build(p)
	if err != nil {
		return err
	}
	x := g.Input("x", append([]int{graph.Batch}, ds.X.Shape()[1:]...)...)
	if ds.X.DType() == graph.Int {
		if ds.Sequence {
			x = g.IntInput("tokens", graph.Batch, graph.Seq)
		} else {
			x = g.IntInput("ids", append([]int{graph.Batch}, ds.X.Shape()[1:]...)...)
		}
	}
	out := m.Forward(x)
	prog, err := g.Compile(nil, out)
	if err != nil {
		return err
	}
	defer prog.Close()
	var w io.Writer = stdout
	if a.out != "" {
		f, err := os.Create(a.out)
		if err != nil {
			return fmt.Errorf("predict: --out: %w", err)
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	classes := l.classes
	if ds.Classes > 0 {
		_ = cw.Write([]string{"row", "prediction", "probability", "label"})
	} else {
		_ = cw.Write([]string{"row", "prediction", "target"})
	}
	b, err := data.NewBatcher(ds, data.BatchConfig{Size: 1000})
	if err != nil {
		return err
	}
	row := 0
	name := func(c int) string {
		if c >= 0 && c < len(classes) {
			return classes[c]
		}
		return strconv.Itoa(c)
	}
	for b.Next() {
		bx, by := b.Batch()
		if err := prog.Run(graph.Eval, false, graph.Feeds{x: bx}); err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		o := prog.Output(out)
		n := bx.Shape()[0]
		k := o.Len() / n
		for i := 0; i < n; i++ {
			if ds.Classes > 0 {
				best, arg := math.Inf(-1), 0
				for j := 0; j < k; j++ {
					if v := o.At(i*k + j); v > best {
						best, arg = v, j
					}
				}
				var z float64
				for j := 0; j < k; j++ {
					z += math.Exp(o.At(i*k+j) - best)
				}
				_ = cw.Write([]string{strconv.Itoa(row), name(arg), strconv.FormatFloat(1/z, 'g', 6, 64), name(int(by.At(i)))})
			} else {
				pred, truth := o.At(i*k), by.At(i*k)
				if ts := p.targetScale; ts != nil {
					pred, truth = pred*ts.scale[0]+ts.mean[0], truth*ts.scale[0]+ts.mean[0]
				}
				_ = cw.Write([]string{strconv.Itoa(row), strconv.FormatFloat(pred, 'g', 8, 64), strconv.FormatFloat(truth, 'g', 8, 64)})
			}
			row++
		}
	}
	cw.Flush()
	return cw.Error()
}

package optbench_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optbench"
	"github.com/descent-ml/descent/optimizers"
)

// signSGD is an optimizer written outside descent: p -= lr * sign(grad)
// (signSGD, Bernstein et al. 2018).
type signSGD struct{ lr float64 }

func (s *signSGD) Step(params []*graph.Param) error {
	for _, p := range params {
		g := p.Grad()
		if g == nil || !p.Trainable() {
			continue
		}
		v := p.Value()
		for i := range v.Len() {
			if d := g.At(i); d != 0 {
				v.Set(i, v.At(i)-s.lr*math.Copysign(1, d))
			}
		}
	}
	return nil
}

// A user-defined optimizer, registered once, joins every protocol: here
// DeepOBS's learning-rate tuning against Adam on two 2-D problems, through
// the same command line as the built-ins (MainWith takes the registry).
func Example_userOptimizer() {
	reg, err := optbench.NewRegistry()
	if err != nil {
		panic(err)
	}
	err = reg.AddOptimizer(optbench.Optimizer{
		Name:   "signsgd",
		Help:   "signSGD (Bernstein et al. 2018)",
		Params: []optbench.Param{{Name: "lr", Default: 1e-3, Help: "step length"}},
		Space:  []optbench.Range{{Param: "lr", Scale: optbench.Log, Min: 1e-4, Max: 1e-1}},
		Build: func(s optbench.Setting) (optimizers.Optimizer, error) {
			if !(s["lr"] > 0) {
				return nil, fmt.Errorf("lr %v (want > 0)", s["lr"])
			}
			return &signSGD{lr: s["lr"]}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "optbench-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "report")
	err = optbench.MainWith(context.Background(), reg, []string{"optimizers",
		"--problems", "rosenbrock@steps=2000,two_d_rosenbrock@epochs=2", "--optimizers", "signsgd,adam",
		"--protocol", "all", "--lrs", "logspace:-4:-1:4", "--reruns", "3", "--seeds", "2", "--trials", "2", "--studies", "1",
		"--store", filepath.Join(dir, "store"), "--report", report, "--workers", "2", "--quiet"}, io.Discard, os.Stderr)
	if err != nil {
		panic(err)
	}
	f, err := os.Open(filepath.Join(report, "deepobs.csv"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		panic(err)
	}
	for _, r := range rows[1:] { // problem, contender, rank, best_lr, seeds, diverged, test_mean, ...
		mean, _ := strconv.ParseFloat(r[6], 64)
		fmt.Printf("%-27s %-8s rank %s  best lr %-6s test loss %.3g\n", r[0], r[1], r[2], r[3], mean)
	}
	// Output:
	// rosenbrock (2000 steps)     adam     rank 1  best lr 0.1    test loss 4.54e-07
	// rosenbrock (2000 steps)     signsgd  rank 2  best lr 0.001  test loss 0.542
	// two_d_rosenbrock (2 epochs) adam     rank 1  best lr 0.1    test loss 2.57
	// two_d_rosenbrock (2 epochs) signsgd  rank 2  best lr 0.01   test loss 3.96
}

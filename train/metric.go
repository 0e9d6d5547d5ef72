package train

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/graph"
)

// Metric accumulates a score over the batches of an evaluation: Reset,
// then Update with each batch's model output and targets, then Value.
// Metrics are computed in Go from the outputs, outside the graph.
type Metric interface {
	Name() string
	Reset()
	Update(out, y *graph.Tensor) error
	Value() float64
}

// Accuracy is the fraction of rows whose largest logit (last axis) is the
// label (outputs [N, C], Int labels [N]).
func Accuracy() Metric { return &topK{name: "accuracy", k: 1} }

// TopKAccuracy is the fraction of rows whose label is among the k largest
// logits.
func TopKAccuracy(k int) Metric { return &topK{name: fmt.Sprintf("top%d_accuracy", k), k: k} }

// ClassAccuracy is the accuracy on the rows labelled class (its recall).
func ClassAccuracy(class int) Metric {
	return &topK{name: fmt.Sprintf("accuracy/class%d", class), k: 1, class: class, only: true}
}

type topK struct {
	name        string
	k, class    int
	only        bool
	hits, total int
}

func (m *topK) Name() string { return m.name }
func (m *topK) Reset()       { m.hits, m.total = 0, 0 }
func (m *topK) Value() float64 {
	if m.total == 0 {
		return math.NaN()
	}
	return float64(m.hits) / float64(m.total)
}

func (m *topK) Update(out, y *graph.Tensor) error {
	labels, err := y.Ints()
	if err != nil {
		return fmt.Errorf("train: metric %s: labels: %w", m.name, err)
	}
	s := out.Shape()
	if s.Rank() != 2 || s[0] != len(labels) {
		return fmt.Errorf("train: metric %s: outputs %v for %d labels (want [N C])", m.name, s, len(labels))
	}
	c := s[1]
	for r, l := range labels {
		if m.only && l != m.class {
			continue
		}
		if l < 0 || l >= c {
			return fmt.Errorf("train: metric %s: label %d of row %d outside 0..%d", m.name, l, r, c-1)
		}
		v := out.At(r*c + l)
		above := 0
		for j := 0; j < c; j++ {
			if w := out.At(r*c + j); w > v || (w == v && j < l) {
				above++
			}
		}
		if above < m.k {
			m.hits++
		}
		m.total++
	}
	return nil
}

// RMSE is the root mean squared error over every output element.
func RMSE() Metric { return &regression{name: "rmse"} }

// MAE is the mean absolute error over every output element.
func MAE() Metric { return &regression{name: "mae"} }

// R2 is the coefficient of determination, 1 - SSE/SST per output column,
// averaged over the columns (scikit-learn's r2_score).
func R2() Metric { return &regression{name: "r2"} }

type regression struct {
	name string
	n    int
	sse  []float64 // per column
	sae  []float64
	sy   []float64
	syy  []float64
}

func (m *regression) Name() string { return m.name }
func (m *regression) Reset() {
	m.n = 0
	m.sse, m.sae, m.sy, m.syy = nil, nil, nil, nil
}

func (m *regression) Update(out, y *graph.Tensor) error {
	if !out.Shape().Equal(y.Shape()) || out.Shape().Rank() < 1 {
		return fmt.Errorf("train: metric %s: outputs %v and targets %v (want equal shapes)", m.name, out.Shape(), y.Shape())
	}
	rows := out.Shape()[0]
	cols := out.Len() / max(rows, 1)
	if m.sse == nil {
		m.sse, m.sae, m.sy, m.syy = make([]float64, cols), make([]float64, cols), make([]float64, cols), make([]float64, cols)
	}
	if len(m.sse) != cols {
		return fmt.Errorf("train: metric %s: %d outputs per row (want %d, as before)", m.name, cols, len(m.sse))
	}
	for i := 0; i < out.Len(); i++ {
		c := i % cols
		d := out.At(i) - y.At(i)
		t := y.At(i)
		m.sse[c] += d * d
		m.sae[c] += math.Abs(d)
		m.sy[c] += t
		m.syy[c] += t * t
	}
	m.n += rows
	return nil
}

func (m *regression) Value() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	n := float64(m.n)
	var v float64
	for c := range m.sse {
		switch m.name {
		case "rmse":
			v += m.sse[c]
		case "mae":
			v += m.sae[c]
		default:
			sst := m.syy[c] - m.sy[c]*m.sy[c]/n
			if sst <= 0 {
				return math.NaN()
			}
			v += 1 - m.sse[c]/sst
		}
	}
	cols := float64(len(m.sse))
	switch m.name {
	case "rmse":
		return math.Sqrt(v / (n * cols))
	case "mae":
		return v / (n * cols)
	}
	return v / cols
}

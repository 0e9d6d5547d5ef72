package optbench

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// summary of a metric over seeds. Diverged seeds are counted, not averaged.
type seedStats struct {
	N, Diverged int
	Mean, Std   float64 // over the finite values; Std is the population std (ddof 0), as DeepOBS
	Values      []float64
}

func statsOf(vals []float64, diverged []bool) seedStats {
	s := seedStats{N: len(vals)}
	for i, v := range vals {
		if diverged[i] || math.IsNaN(v) || math.IsInf(v, 0) {
			s.Diverged++
			continue
		}
		s.Values = append(s.Values, v)
	}
	s.Mean, s.Std = meanStd(s.Values)
	return s
}

// meanStd returns the mean and the population standard deviation (NaN for
// no values).
func meanStd(x []float64) (float64, float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)))
}

// median is numpy's median: the middle value, or the mean of the two
// middle values (+Inf if either is +Inf).
func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// welchP is the two-sided p-value of Welch's t-test that a and b have the
// same mean (sample variances, Welch-Satterthwaite degrees of freedom). With
// no variance on either side it is 1 for equal means and 0 otherwise; with
// fewer than two values on a side, NaN.
func welchP(a, b []float64) float64 {
	if len(a) < 2 || len(b) < 2 {
		return math.NaN()
	}
	ma, _ := meanStd(a)
	mb, _ := meanStd(b)
	va, vb := sampleVar(a, ma)/float64(len(a)), sampleVar(b, mb)/float64(len(b))
	if va+vb == 0 {
		if ma == mb {
			return 1
		}
		return 0
	}
	t := (ma - mb) / math.Sqrt(va+vb)
	df := (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	// P(|T| >= |t|) for Student's t with df degrees of freedom.
	return mathext.RegIncBeta(df/2, 0.5, df/(df+t*t))
}

func sampleVar(x []float64, m float64) float64 {
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return ss / float64(len(x)-1)
}

// rankBy orders indices by mean under metric m: finite means first (best
// first), then by fewer diverged seeds.
func rankBy(st []seedStats, m Metric) []int {
	idx := make([]int, len(st))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := st[idx[i]], st[idx[j]]
		if a.Diverged != b.Diverged && (a.Diverged == a.N || b.Diverged == b.N) {
			return a.Diverged < b.Diverged
		}
		return m.Better(a.Mean, b.Mean)
	})
	return idx
}

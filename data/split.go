package data

import (
	"fmt"
	"math"
	"slices"
)

// SplitIndices draws a seeded random split of 0..n-1 into training and
// validation indices, each sorted. The validation part has
// ceil(valFrac·n) indices, as scikit-learn's train_test_split; both parts
// must be non-empty.
func SplitIndices(n int, valFrac float64, seed uint64) (train, val []int, err error) {
	const fn = "SplitIndices"
	if !(valFrac > 0 && valFrac < 1) {
		return nil, nil, invalid(fn, "validation fraction %v (want 0 < f < 1)", valFrac)
	}
	nVal := int(math.Ceil(valFrac * float64(n)))
	if n < 2 || nVal >= n {
		return nil, nil, invalid(fn, "%d examples with validation fraction %v leave no training examples (want n >= 2)", n, valFrac)
	}
	rng, _ := newRand(seed)
	perm := rng.Perm(n)
	val, train = perm[:nVal], perm[nVal:]
	slices.Sort(val)
	slices.Sort(train)
	return train, val, nil
}

// Split splits ds into a training and a validation set; see SplitIndices.
func Split(ds *Dataset, valFrac float64, seed uint64) (train, val *Dataset, err error) {
	if err := ds.Validate(); err != nil {
		return nil, nil, fmt.Errorf("data: Split: %w", err)
	}
	tr, va, err := SplitIndices(ds.Len(), valFrac, seed)
	if err != nil {
		return nil, nil, err
	}
	if train, err = ds.Subset(tr); err != nil {
		return nil, nil, err
	}
	if val, err = ds.Subset(va); err != nil {
		return nil, nil, err
	}
	train.Name, val.Name = ds.Name+"/train", ds.Name+"/val"
	return train, val, nil
}

// Fold is one round of cross-validation: indices to train on and to
// validate on, each sorted.
type Fold struct {
	Train []int
	Val   []int
}

// KFold splits a seeded shuffle of 0..n-1 into k validation folds, as
// scikit-learn's KFold(k, shuffle=True): the first n mod k folds have
// n/k + 1 indices, the others n/k; each fold trains on the rest.
// It needs 2 <= k <= n.
func KFold(n, k int, seed uint64) ([]Fold, error) {
	if k < 2 || k > n {
		return nil, invalid("KFold", "%d folds of %d examples (want 2 <= k <= n)", k, n)
	}
	rng, _ := newRand(seed)
	perm := rng.Perm(n)
	folds := make([]Fold, k)
	start := 0
	for f := range folds {
		size := n / k
		if f < n%k {
			size++
		}
		val := slices.Clone(perm[start : start+size])
		train := make([]int, 0, n-size)
		train = append(train, perm[:start]...)
		train = append(train, perm[start+size:]...)
		slices.Sort(val)
		slices.Sort(train)
		folds[f] = Fold{Train: train, Val: val}
		start += size
	}
	return folds, nil
}

// StratifiedKFold splits the examples of a classification set into k
// folds that keep the class proportions, as scikit-learn's
// StratifiedKFold(k, shuffle=True): each class's examples, in a seeded
// shuffle, are dealt to the folds in turn, continuing where the previous
// class stopped, so fold sizes differ by at most one. Every class needs at
// least k examples.
func StratifiedKFold(labels []int, k int, seed uint64) ([]Fold, error) {
	n := len(labels)
	if k < 2 || k > n {
		return nil, invalid("StratifiedKFold", "%d folds of %d examples (want 2 <= k <= n)", k, n)
	}
	byClass := map[int][]int{}
	var classes []int
	for i, l := range labels {
		if _, ok := byClass[l]; !ok {
			classes = append(classes, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	slices.Sort(classes)
	rng, _ := newRand(seed)
	vals := make([][]int, k)
	next := 0
	for _, c := range classes {
		idx := byClass[c]
		if len(idx) < k {
			return nil, invalid("StratifiedKFold", "class %d has %d examples (want at least k = %d)", c, len(idx), k)
		}
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx {
			vals[next] = append(vals[next], i)
			next = (next + 1) % k
		}
	}
	folds := make([]Fold, k)
	for f := range folds {
		inVal := make(map[int]bool, len(vals[f]))
		for _, i := range vals[f] {
			inVal[i] = true
		}
		train := make([]int, 0, n-len(vals[f]))
		for i := 0; i < n; i++ {
			if !inVal[i] {
				train = append(train, i)
			}
		}
		slices.Sort(vals[f])
		folds[f] = Fold{Train: train, Val: vals[f]}
	}
	return folds, nil
}

// Summary is the mean and sample standard deviation of per-fold scores.
type Summary struct {
	N    int
	Mean float64
	Std  float64 // sample standard deviation (divisor N-1); 0 when N is 1
}

// String formats the summary as "0.9512 ± 0.0123 (5 folds)".
func (s Summary) String() string {
	return fmt.Sprintf("%.4f ± %.4f (%d folds)", s.Mean, s.Std, s.N)
}

// Summarize returns the mean and sample standard deviation of scores, which
// must be finite and not empty.
func Summarize(scores []float64) (Summary, error) {
	if len(scores) == 0 {
		return Summary{}, invalid("Summarize", "no scores (want at least one)")
	}
	var sum float64
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return Summary{}, invalid("Summarize", "score %d is %v (want a finite value)", i, s)
		}
		sum += s
	}
	n := len(scores)
	mean := sum / float64(n)
	if n == 1 {
		return Summary{N: 1, Mean: mean}, nil
	}
	var ss float64
	for _, s := range scores {
		ss += (s - mean) * (s - mean)
	}
	return Summary{N: n, Mean: mean, Std: math.Sqrt(ss / float64(n-1))}, nil
}

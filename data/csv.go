package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/graph"
)

// Task says what a CSV target column holds.
type Task uint8

const (
	// Regression: the target is a number; Y is [N, 1] of X's dtype.
	Regression Task = iota
	// Classification: the target is a class; Y is Int [N].
	Classification
)

// String returns "regression" or "classification".
func (t Task) String() string {
	switch t {
	case Regression:
		return "regression"
	case Classification:
		return "classification"
	}
	return fmt.Sprintf("Task(%d)", uint8(t))
}

// CSVConfig configures LoadCSV and ReadCSV.
type CSVConfig struct {
	// Target names the target column (required).
	Target string
	// Features names the feature columns, in the order they take in X.
	// Empty: every column but the target, in file order.
	Features []string
	// Task selects regression (the zero value) or classification.
	//
	// For classification the distinct target values are mapped to labels
	// 0..K-1, integers (-1/+1, 1..K) in numeric order and names in byte
	// order, and kept in Dataset.ClassNames (label i is ClassNames[i]).
	Task Task
	// DType of X (and of regression targets): Float32 (the zero value
	// selects it) or Float64.
	DType graph.DType
	// Comma is the field separator; 0 means ','.
	Comma rune
}

// LoadCSV reads the CSV file at path; see ReadCSV.
func LoadCSV(path string, cfg CSVConfig) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ioErr("CSV", path, err)
	}
	defer f.Close()
	return ReadCSV(f, path, cfg)
}

// ReadCSV reads a CSV table from r; name names it in errors and becomes the
// dataset's Name. The first row is the header of unique column names;
// every other row has one field per column. Feature values and regression
// targets are numbers as strconv.ParseFloat reads them (surrounding spaces
// ignored); empty, NaN and infinite values are errors, and so are values
// that overflow float32 when DType is Float32. Every error is a *FileError
// giving the line (the header is line 1) and the column.
func ReadCSV(r io.Reader, name string, cfg CSVConfig) (*Dataset, error) {
	dt, err := floatDType("ReadCSV", cfg.DType)
	if err != nil {
		return nil, err
	}
	if cfg.Task != Regression && cfg.Task != Classification {
		return nil, invalid("ReadCSV", "task %v (want regression or classification)", cfg.Task)
	}
	if cfg.Target == "" {
		return nil, invalid("ReadCSV", "no target column (want CSVConfig.Target, the --target flag)")
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, for a better message
	cr.ReuseRecord = true
	if cfg.Comma != 0 {
		cr.Comma = cfg.Comma
	}
	fail := func(line int, col, msg string, args ...any) error {
		return formatErr("CSV", name, line, col, msg, args...)
	}
	readErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fail(pe.Line, "", "%v", pe.Err)
		}
		return ioErr("CSV", name, err)
	}

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fail(0, "", "empty file (want a header row)")
	}
	if err != nil {
		return nil, readErr(err)
	}
	cols := make([]string, len(header))
	index := make(map[string]int, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // byte order mark of spreadsheet exports
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, fail(1, "", "column %d has an empty name", i+1)
		}
		if j, dup := index[h]; dup {
			return nil, fail(1, h, "name is used by columns %d and %d", j+1, i+1)
		}
		cols[i], index[h] = h, i
	}
	target, ok := index[cfg.Target]
	if !ok {
		return nil, fail(1, "", "no target column %q (columns: %s)", cfg.Target, strings.Join(cols, ", "))
	}
	feats, err := featureColumns(cfg, cols, index, target)
	if err != nil {
		return nil, fail(1, "", "%v", err)
	}

	var x, y []float64 // y: regression targets, or integer labels
	var names []string // classification targets as read
	var nameLines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cols) {
			return nil, fail(line, "", "%d fields (want %d, as in the header)", len(rec), len(cols))
		}
		for _, c := range feats {
			v, msg := parseNumber(rec[c], dt)
			if msg != "" {
				l, _ := cr.FieldPos(c)
				return nil, fail(l, cols[c], "%s", msg)
			}
			x = append(x, v)
		}
		if cfg.Task == Regression {
			v, msg := parseNumber(rec[target], dt)
			if msg != "" {
				l, _ := cr.FieldPos(target)
				return nil, fail(l, cols[target], "%s", msg)
			}
			y = append(y, v)
			continue
		}
		v := strings.TrimSpace(rec[target])
		if v == "" {
			l, _ := cr.FieldPos(target)
			return nil, fail(l, cols[target], "empty class label")
		}
		l, _ := cr.FieldPos(target)
		names, nameLines = append(names, v), append(nameLines, l)
	}
	n := len(x) / len(feats)
	if n == 0 {
		return nil, fail(0, "", "no data rows after the header")
	}

	ds := &Dataset{Name: name, FeatureNames: make([]string, len(feats))}
	for i, c := range feats {
		ds.FeatureNames[i] = cols[c]
	}
	if ds.X, err = floatTensor(dt, x, n, len(feats)); err != nil {
		return nil, fmt.Errorf("data: ReadCSV: %w", err)
	}
	if cfg.Task == Regression {
		if ds.Y, err = floatTensor(dt, y, n, 1); err != nil {
			return nil, fmt.Errorf("data: ReadCSV: %w", err)
		}
		return ds, nil
	}
	labels, classes, classNames, err := classLabels(names, nameLines, cols[target], fail)
	if err != nil {
		return nil, err
	}
	ds.Classes, ds.ClassNames = classes, classNames
	if ds.Y, err = graph.FromInts(labels, n); err != nil {
		return nil, fmt.Errorf("data: ReadCSV: %w", err)
	}
	return ds, nil
}

// featureColumns resolves CSVConfig.Features to column indices.
func featureColumns(cfg CSVConfig, cols []string, index map[string]int, target int) ([]int, error) {
	var feats []int
	if len(cfg.Features) == 0 {
		for i := range cols {
			if i != target {
				feats = append(feats, i)
			}
		}
		if len(feats) == 0 {
			return nil, fmt.Errorf("no feature columns: the target %q is the only column", cfg.Target)
		}
		return feats, nil
	}
	seen := map[int]bool{}
	for _, f := range cfg.Features {
		i, ok := index[f]
		switch {
		case !ok:
			return nil, fmt.Errorf("no feature column %q (columns: %s)", f, strings.Join(cols, ", "))
		case i == target:
			return nil, fmt.Errorf("feature column %q is the target", f)
		case seen[i]:
			return nil, fmt.Errorf("feature column %q is listed twice", f)
		}
		seen[i] = true
		feats = append(feats, i)
	}
	return feats, nil
}

// parseNumber parses a number finite in dtype dt; msg says why s is not one.
func parseNumber(s string, dt graph.DType) (v float64, msg string) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, "empty value (missing values are not supported)"
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("%q is not a finite number", s)
	}
	if dt == graph.Float32 && math.IsInf(float64(float32(v)), 0) {
		return 0, fmt.Sprintf("%q overflows float32 (want a magnitude of at most %g, or float64 data)", s, math.MaxFloat32)
	}
	return v, ""
}

// classLabels maps class values to labels 0..K-1: integer values (-1/+1,
// 1..K, 0..9) in numeric order (spellings of one number, such as "1" and
// "01", are one class, named as first spelt), any other names in sorted
// byte order. names[l] is the value of label l, for printing predictions
// back.
func classLabels(vals []string, lines []int, col string,
	fail func(int, string, string, ...any) error) (labels []int, classes int, names []string, err error) {
	labels = make([]int, len(vals))
	nums := make([]int, len(vals))
	allInts := true
	for i, v := range vals {
		n, err := strconv.Atoi(v)
		if err != nil {
			allInts = false
			break
		}
		nums[i] = n
	}
	if allInts {
		distinct := slices.Clone(nums)
		slices.Sort(distinct)
		distinct = slices.Compact(distinct)
		if len(distinct) > 1<<16 {
			return nil, 0, nil, fail(lines[0], col, "%d distinct class labels (want at most %d; is this a regression target?)", len(distinct), 1<<16)
		}
		for i, n := range nums {
			labels[i], _ = slices.BinarySearch(distinct, n)
		}
		// Each class is named as the file first spells it ("01" stays
		// "01"; "1" and "01" are one class).
		names = make([]string, len(distinct))
		for i, l := range labels {
			if names[l] == "" {
				names[l] = vals[i]
			}
		}
		return labels, len(distinct), names, nil
	}
	names = slices.Clone(vals)
	slices.Sort(names)
	names = slices.Compact(names)
	for i, v := range vals {
		labels[i], _ = slices.BinarySearch(names, v)
	}
	return labels, len(names), names, nil
}

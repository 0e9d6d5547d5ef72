package data

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
)

// idxSeeds are FuzzIDX's seeds (also in testdata/fuzz/FuzzIDX).
func idxSeeds(tb testing.TB) [][]byte {
	lbl := idxFile(mnistLabelMagic, []uint32{3}, []byte{0, 9, 4})
	return [][]byte{
		idxFile(mnistImageMagic, []uint32{1, 28, 28}, make([]byte, 784)),
		lbl,
		gzipBytes(tb, lbl),
		idxFile(mnistImageMagic, []uint32{2, 28, 28}, make([]byte, 784)), // truncated
		idxFile(mnistLabelMagic, []uint32{2}, []byte{10, 1}),             // label out of range
		idxFile(0x00000804, []uint32{2, 1, 2, 1}, []byte{1, 2, 3, 4}),
		idxFile(0x00000802, []uint32{0xFFFFFFFF, 0xFFFFFFFF}, nil), // overflowing size
		{0, 0, 8, 255},
		{},
	}
}

// FuzzIDX feeds arbitrary bytes to every parser of IDX and gzip data.
// None may panic; every error wraps ErrFormat; whatever parses holds
// exactly product(Dims) bytes and re-encodes to the input; the MNIST
// parsers agree with ParseIDX.
//
//	go test -run '^$' -fuzz '^FuzzIDX$' -fuzztime 20s ./data
func FuzzIDX(f *testing.F) {
	for _, b := range idxSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ParseIDX(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("ParseIDX error does not wrap ErrFormat: %v", err)
			}
		} else {
			checkIDX(t, idx, b)
		}
		n, pixels, err := parseMNISTImages(b)
		if err == nil {
			if idx == nil || len(pixels) != n*MNISTFeatures || len(idx.Dims) != 3 || idx.Dims[0] != n {
				t.Fatalf("parseMNISTImages accepts %d images (%d bytes) that ParseIDX reads as %+v", n, len(pixels), idx)
			}
		}
		if labels, err := parseMNISTLabels(b); err == nil {
			if idx == nil || len(labels) != len(idx.Data) {
				t.Fatalf("parseMNISTLabels accepts %d labels that ParseIDX reads as %+v", len(labels), idx)
			}
			for i, l := range labels {
				if l < 0 || l >= MNISTClasses || l != int(b[len(b)-len(labels)+i]) {
					t.Fatalf("label %d is %d", i, l)
				}
			}
		}
		if out, err := gunzip(b); err == nil {
			if idx, err := ParseIDX(out); err == nil {
				checkIDX(t, idx, out)
			}
		}
	})
}

// checkIDX checks a parsed IDX file against the bytes it came from.
func checkIDX(t *testing.T, idx *IDX, b []byte) {
	t.Helper()
	n := 1
	for i, d := range idx.Dims {
		if d < 1 || d > maxIDXBytes {
			t.Fatalf("dimension %d is %d (want 1..%d)", i, d, maxIDXBytes)
		}
		n *= d // no overflow: each partial product is at most maxIDXBytes
		if n > maxIDXBytes {
			t.Fatalf("dims %v announce more than %d bytes", idx.Dims, maxIDXBytes)
		}
	}
	if len(idx.Data) != n {
		t.Fatalf("%d bytes of data for dims %v (want %d)", len(idx.Data), idx.Dims, n)
	}
	re := []byte{0, 0, idxUByte, byte(len(idx.Dims))}
	for _, d := range idx.Dims {
		re = binary.BigEndian.AppendUint32(re, uint32(d))
	}
	if !bytes.Equal(append(re, idx.Data...), b) {
		t.Fatalf("dims %v and %d data bytes do not re-encode to the %d input bytes", idx.Dims, len(idx.Data), len(b))
	}
}

// csvSeed is one FuzzCSV input.
type csvSeed struct {
	text, target, features string
	task                   uint8
	f64                    bool
	comma                  rune
}

// csvSeeds are FuzzCSV's seeds (also in testdata/fuzz/FuzzCSV).
func csvSeeds() []csvSeed {
	return []csvSeed{
		{"a,b,y\n1,2,3\n4, 5 ,9.5\n", "y", "", 0, false, 0},
		{"y,a,b,c\n1,2,3,4\n5,6,7,8\n", "y", "c,a", 0, true, 0},
		{"\ufeffx;label\n0.5;cat\n-1;dog\n2;cat\n", "label", "", 1, false, ';'},
		{"x\tlabel\n1\t0\n2\t3\n", "label", "x", 1, true, '\t'},
		{"\"a,1\",\"b\"\"q\",t\n1,2,3\n", "t", "", 0, false, ','},
		{"a,y\n1,2\r\n3,4", "y", "", 0, true, 0},
		{"a,b\n1\n", "b", "", 0, false, 0},
		{"a,a\n1,2\n", "a", "", 0, false, 0},
		{"y\n1\n", "y", "", 0, false, 0},
		{"a,y\nNaN,1\n", "y", "", 0, false, 0},
		{"a,y\n1,-2\n", "y", "", 1, false, 0},
		{"a,y\n1,16777216\n", "y", "", 1, false, 0},
		{"", "y", "", 0, false, 0},
	}
}

// FuzzCSV reads fuzzed tables with fuzzed configurations. Errors are
// *FileError values or wrap ErrInvalid; a dataset read validates, has one
// example per data row, holds exactly the (finite) values of the file, and
// written back as CSV reads again to the same dataset.
//
//	go test -run '^$' -fuzz '^FuzzCSV$' -fuzztime 20s ./data
func FuzzCSV(f *testing.F) {
	for _, s := range csvSeeds() {
		f.Add(s.text, s.target, s.features, s.task, s.f64, s.comma)
	}
	f.Fuzz(func(t *testing.T, text, target, features string, task uint8, f64 bool, comma rune) {
		cfg := CSVConfig{Target: target, Task: Task(task % 3), Comma: comma, DType: graph.Float32}
		if f64 {
			cfg.DType = graph.Float64
		}
		if features != "" {
			cfg.Features = strings.Split(features, ",")
		}
		ds, err := ReadCSV(strings.NewReader(text), "fuzz.csv", cfg)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is neither a *FileError nor ErrInvalid: %v", err)
			}
			if fe != nil && (fe.Path != "fuzz.csv" || fe.Msg == "") {
				t.Fatalf("FileError %+v does not name the file or say what is wrong", fe)
			}
			return
		}
		if err := ds.Validate(); err != nil {
			t.Fatalf("ReadCSV returned an invalid dataset: %v", err)
		}
		header, rows := csvRecords(t, text, comma)
		if ds.Len() != len(rows) {
			t.Fatalf("%d examples from %d data rows", ds.Len(), len(rows))
		}
		col := map[string]int{}
		for i, h := range header {
			if i == 0 {
				h = strings.TrimPrefix(h, "\ufeff")
			}
			col[strings.TrimSpace(h)] = i
		}
		if cfg.Features != nil && !slices.Equal(ds.FeatureNames, cfg.Features) {
			t.Fatalf("feature names %q (want %q)", ds.FeatureNames, cfg.Features)
		}
		if ds.X.DType() != cfg.DType || ds.X.Shape().Rank() != 2 || ds.X.Shape()[1] != len(ds.FeatureNames) {
			t.Fatalf("X is %v %v for %d features", ds.X.DType(), ds.X.Shape(), len(ds.FeatureNames))
		}
		x := ds.X.Values()
		for i, row := range rows {
			for j, name := range ds.FeatureNames {
				want := parseLike(t, row[col[name]], cfg.DType)
				if got := x[i*len(ds.FeatureNames)+j]; got != want || math.IsInf(got, 0) || math.IsNaN(got) {
					t.Fatalf("row %d, column %q: X holds %v (the file says %q; want finite %v)", i, name, got, row[col[name]], want)
				}
			}
		}
		y := ds.Y.Values()
		for i, row := range rows {
			field := strings.TrimSpace(row[col[target]])
			switch {
			case cfg.Task == Regression:
				if want := parseLike(t, field, cfg.DType); y[i] != want || math.IsInf(y[i], 0) {
					t.Fatalf("row %d: target %v (the file says %q; want finite %v)", i, y[i], field, want)
				}
			case ds.ClassNames != nil:
				name := ds.ClassNames[int(y[i])]
				a, errA := strconv.Atoi(name)
				b, errB := strconv.Atoi(field)
				if name != field && (errA != nil || errB != nil || a != b) { // "1" and "01" are one class
					t.Fatalf("row %d: class %v is %q (the file says %q)", i, y[i], ds.ClassNames[int(y[i])], field)
				}
			default:
				if l, err := strconv.Atoi(field); err != nil || float64(l) != y[i] {
					t.Fatalf("row %d: label %v (the file says %q)", i, y[i], field)
				}
			}
		}
		again, err := ReadCSV(bytes.NewReader(writeCSV(t, ds, target)), "again.csv",
			CSVConfig{Target: target, Features: ds.FeatureNames, Task: cfg.Task, DType: cfg.DType})
		if err != nil {
			t.Fatalf("reading the dataset written back: %v", err)
		}
		if !slices.Equal(again.X.Values(), x) || !slices.Equal(again.Y.Values(), y) ||
			again.Classes != ds.Classes || !slices.Equal(again.ClassNames, ds.ClassNames) {
			t.Fatalf("written back and read again: %v %v %d %q (want %v %v %d %q)", again.X, again.Y, again.Classes,
				again.ClassNames, ds.X, ds.Y, ds.Classes, ds.ClassNames)
		}
	})
}

// csvRecords reads text as ReadCSV does: the header and the data rows.
func csvRecords(t *testing.T, text string, comma rune) (header []string, rows [][]string) {
	t.Helper()
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	if comma != 0 {
		cr.Comma = comma
	}
	all, err := cr.ReadAll()
	if err != nil || len(all) == 0 {
		t.Fatalf("ReadCSV accepted what encoding/csv rejects: %v", err)
	}
	return all[0], all[1:]
}

// parseLike parses a field as ReadCSV does, rounded to dt.
func parseLike(t *testing.T, s string, dt graph.DType) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("ReadCSV accepted %q, which is not a number: %v", s, err)
	}
	if dt == graph.Float32 {
		return float64(float32(v))
	}
	return v
}

// writeCSV writes ds as a table with its features and the target last.
func writeCSV(t *testing.T, ds *Dataset, target string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Write(append(append([]string(nil), ds.FeatureNames...), target)))
	x, y, k := ds.X.Values(), ds.Y.Values(), len(ds.FeatureNames)
	for i := range ds.Len() {
		rec := make([]string, 0, k+1)
		for _, v := range x[i*k : (i+1)*k] {
			rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64))
		}
		switch {
		case ds.ClassNames != nil:
			rec = append(rec, ds.ClassNames[int(y[i])])
		case ds.Classes > 0:
			rec = append(rec, strconv.Itoa(int(y[i]))) // not 1e+06, a class name
		default:
			rec = append(rec, strconv.FormatFloat(y[i], 'g', -1, 64))
		}
		must(w.Write(rec))
	}
	w.Flush()
	must(w.Error())
	return buf.Bytes()
}

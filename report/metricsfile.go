package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/train"
)

// MetricsFile appends one row per epoch to a CSV file (.csv) or a JSON
// lines file (any other name). CSV columns are the fixed ones then
// val_<metric> for each validation metric of the first row, sorted.
type MetricsFile struct {
	f    *os.File
	buf  *bufio.Writer
	csv  *csv.Writer
	cols []string // the validation metrics of the CSV columns
	head bool     // the header is written
}

var csvHeader = []string{"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "examples_per_sec"}

// CreateMetricsFile creates path, or appends to it when appendTo (a
// resumed run: the header is not written again).
func CreateMetricsFile(path string, appendTo bool) (*MetricsFile, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("report: metrics file: %w", err)
	}
	w := &MetricsFile{f: f, buf: bufio.NewWriter(f)}
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		w.csv = csv.NewWriter(w.buf)
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			// Appending: the columns are those of the header already there.
			head, err := readHeader(path)
			if err != nil {
				f.Close()
				return nil, err
			}
			for _, c := range head[min(len(csvHeader), len(head)):] {
				w.cols = append(w.cols, strings.TrimPrefix(c, "val_"))
			}
			w.head = true
		}
	}
	return w, nil
}

// Hooks returns train hooks that write each epoch's row.
func (w *MetricsFile) Hooks() train.Hooks { return train.Hooks{EpochEnd: w.Write} }

// Write appends m.
func (w *MetricsFile) Write(m train.EpochMetrics) error {
	var err error
	if w.csv != nil {
		if !w.head {
			for k := range m.Val {
				if k != "accuracy" {
					w.cols = append(w.cols, k)
				}
			}
			sort.Strings(w.cols)
			head := append([]string(nil), csvHeader...)
			for _, c := range w.cols {
				head = append(head, "val_"+c)
			}
			if err := w.csv.Write(head); err != nil {
				return fmt.Errorf("report: metrics file %s: %w", w.f.Name(), err)
			}
			w.head = true
		}
		num := func(v float64) string {
			if math.IsNaN(v) {
				return ""
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		row := []string{strconv.Itoa(m.Epoch), num(m.TrainLoss), num(m.TrainAccuracy), num(m.ValLoss),
			num(m.ValAccuracy), num(m.LR), num(m.Seconds), num(m.ExamplesPerSec)}
		for _, c := range w.cols {
			v, ok := m.Val[c]
			if !ok {
				v = math.NaN()
			}
			row = append(row, num(v))
		}
		err = w.csv.Write(row)
		w.csv.Flush()
		if err == nil {
			err = w.csv.Error()
		}
	} else {
		var b []byte
		if b, err = json.Marshal(m); err == nil {
			_, err = w.buf.Write(append(b, '\n'))
		}
	}
	if err == nil {
		err = w.buf.Flush()
	}
	if err != nil {
		return fmt.Errorf("report: metrics file %s: %w", w.f.Name(), err)
	}
	return nil
}

// Close flushes and closes the file.
func (w *MetricsFile) Close() error {
	if err := w.buf.Flush(); err != nil {
		w.f.Close()
		return err
	}
	return w.f.Close()
}

// readHeader returns the first row of the CSV file at path.
func readHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: metrics file: %w", err)
	}
	defer f.Close()
	head, err := csv.NewReader(f).Read()
	if err != nil {
		return nil, fmt.Errorf("report: metrics file %s: header: %w", path, err)
	}
	return head, nil
}

package train

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// metricsWriter appends one row per epoch to a CSV or JSON-lines file.
type metricsWriter struct {
	f   *os.File
	buf *bufio.Writer
	csv *csv.Writer
}

var csvHeader = []string{"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "examples_per_sec"}

// openMetrics creates path (or appends to it when resuming); "" writes nothing.
func openMetrics(path string, appendTo bool) (*metricsWriter, error) {
	w := &metricsWriter{}
	if path == "" {
		return w, nil
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: metrics: %w", err)
	}
	w.f, w.buf = f, bufio.NewWriter(f)
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		w.csv = csv.NewWriter(w.buf)
		if st, err := f.Stat(); err == nil && st.Size() == 0 {
			if err := w.csv.Write(csvHeader); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

func (w *metricsWriter) write(m EpochMetrics) error {
	if w.f == nil {
		return nil
	}
	var err error
	if w.csv != nil {
		num := func(v float64) string {
			if math.IsNaN(v) {
				return ""
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		err = w.csv.Write([]string{strconv.Itoa(m.Epoch), num(m.TrainLoss), num(m.TrainAccuracy), num(m.ValLoss),
			num(m.ValAccuracy), num(m.LR), num(m.Seconds), num(m.ExamplesPerSec)})
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
		return fmt.Errorf("train: metrics: %s: %w", w.f.Name(), err)
	}
	return nil
}

func (w *metricsWriter) close() {
	if w.f != nil {
		_ = w.buf.Flush()
		_ = w.f.Close()
	}
}

// progress draws a bar per epoch on a terminal: examples done, loss, examples/s.
type progress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	n      int
	epochs int
	ep     int
}

func newProgress(w io.Writer, n, epochs int) *progress { return &progress{w: w, n: n, epochs: epochs} }

func (p *progress) epoch(e, done int) {
	if p.w == nil {
		return
	}
	p.finish()
	p.ep = e
	p.bar = progressbar.NewOptions(p.n,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", e, p.epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("examples"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
	if done > 0 {
		_ = p.bar.Set(done)
	}
}

func (p *progress) add(n int, loss float64) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", p.ep, p.epochs, loss))
	_ = p.bar.Add(n)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/descent-ml/descent/train"
)

// Progress draws one line per epoch on a terminal, redrawn in place:
// "epoch 3/10 [=====>    ] 23040/60000  loss 0.1234  5.1k ex/s". The line
// is cut to the terminal's width (read at each epoch), so it never wraps
// and leaves no stale lines; it is cleared before the epoch's summary.
type Progress struct {
	w        io.Writer
	width    func() int
	epoch    int
	epochs   int
	n, seen  int
	loss     float64
	start    time.Time
	last     time.Time
	drawn    bool
	cols     int
	interval time.Duration
}

// NewProgress returns a progress line on w. The width is the terminal's
// when w is one (80 otherwise).
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w, interval: 100 * time.Millisecond}
	p.width = func() int {
		if f, ok := w.(*os.File); ok {
			if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 0 {
				return c
			}
		}
		return 80
	}
	return p
}

// Hooks returns train hooks that drive the line; chain them with others
// through Chain.
func (p *Progress) Hooks() train.Hooks {
	return train.Hooks{EpochStart: p.EpochStart, Step: p.Step, EpochEnd: func(train.EpochMetrics) error { p.Clear(); return nil }}
}

// EpochStart begins an epoch's line.
func (p *Progress) EpochStart(epoch, epochs, examples, seen int) {
	p.epoch, p.epochs, p.n, p.seen = epoch, epochs, examples, seen
	p.start, p.loss = time.Now(), 0
	p.cols = p.width()
	p.draw(true)
}

// Step advances the line by n examples.
func (p *Progress) Step(n int, loss float64) {
	p.seen += n
	p.loss = loss
	p.draw(p.seen >= p.n)
}

// Clear erases the line.
func (p *Progress) Clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

func (p *Progress) draw(force bool) {
	now := time.Now()
	if !force && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	fmt.Fprint(p.w, "\r"+p.line(now)+"\x1b[K")
	p.drawn = true
}

// line formats the progress line to fit in p.cols-1 columns.
func (p *Progress) line(now time.Time) string {
	head := fmt.Sprintf("epoch %d/%d ", p.epoch, p.epochs)
	tail := fmt.Sprintf(" %d/%d", p.seen, p.n)
	if p.loss > 0 || p.seen > 0 {
		tail += fmt.Sprintf("  loss %.4g", p.loss)
	}
	if dt := now.Sub(p.start).Seconds(); dt > 0.2 && p.seen > 0 {
		tail += "  " + rate(float64(p.seen)/dt) + " ex/s"
	}
	room := p.cols - 1 - len(head) - len(tail) - 2
	if room < 10 { // too narrow for a bar: the numbers alone, cut to fit
		s := strings.TrimSpace(head + tail)
		if len(s) > p.cols-1 {
			s = s[:max(p.cols-1, 0)]
		}
		return s
	}
	room = min(room, 40)
	done := 0
	if p.n > 0 {
		done = min(room*p.seen/p.n, room)
	}
	bar := strings.Repeat("=", done)
	if done < room {
		bar += ">" + strings.Repeat(" ", room-done-1)
	}
	return head + "[" + bar + "]" + tail
}

func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// Chain returns hooks calling each of hs in order.
func Chain(hs ...train.Hooks) train.Hooks {
	return train.Hooks{
		EpochStart: func(e, es, n, seen int) {
			for _, h := range hs {
				if h.EpochStart != nil {
					h.EpochStart(e, es, n, seen)
				}
			}
		},
		Step: func(n int, l float64) {
			for _, h := range hs {
				if h.Step != nil {
					h.Step(n, l)
				}
			}
		},
		EpochEnd: func(m train.EpochMetrics) error {
			for _, h := range hs {
				if h.EpochEnd != nil {
					if err := h.EpochEnd(m); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

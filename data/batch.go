package data

import (
	"fmt"
	"math/rand/v2"

	"github.com/descent-ml/descent/graph"
)

// BatchConfig configures a Batcher.
type BatchConfig struct {
	// Size is the number of examples per batch, >= 1. A Size >= N gives one
	// batch of all N examples per epoch (full-batch gradient descent).
	Size int
	// Shuffle draws a new order of the examples at the start of each epoch.
	Shuffle bool
	// DropLast skips the last, smaller batch of an epoch when N is not a
	// multiple of Size. By default it is kept, as PyTorch's DataLoader does.
	DropLast bool
	// Seed of the shuffle stream (PCG).
	Seed uint64
}

// Batcher cuts a dataset into minibatches, epoch after epoch:
//
//	b, err := data.NewBatcher(ds, data.BatchConfig{Size: 128, Shuffle: true, Seed: 1})
//	for epoch := 0; epoch < epochs; epoch++ {
//		for b.Next() {
//			x, y := b.Batch()
//			...
//		}
//	}
//
// Next reports false once at the end of each epoch; the call after that
// begins the next epoch, drawing a new order when shuffling. Batches are
// copied into buffers allocated by NewBatcher (one for the full size and
// one for the last, partial size), so Next does not allocate: the tensors
// Batch returns are overwritten by the next call to Next.
//
// The order of an epoch depends only on the seed and the epoch's number;
// State and SetState save and restore the position and the shuffle stream,
// so a resumed run sees the same batches as an uninterrupted one.
// A Batcher is not safe for concurrent use.
type Batcher struct {
	ds      *Dataset
	cfg     BatchConfig
	size    int // min(cfg.Size, N)
	order   []int
	src     *rand.PCG
	rng     *rand.Rand
	atStart rand.PCG // src as it was when the current epoch began
	epoch   int      // epochs begun
	pos     int      // examples of order served in the current epoch
	inEpoch bool
	full    batchBuf
	part    batchBuf // nil tensors when every batch has the full size
	cur     batchBuf
	curIdx  []int
}

type batchBuf struct {
	x, y  *graph.Tensor
	trims map[int]*graph.Tensor // sequence sets: X trimmed to each length met
	// the dataset's Inputs: full-length buffers, and what the current batch
	// feeds (the buffers, or their trimmed views in a sequence set)
	in, cur map[string]*graph.Tensor
	inTrim  map[string]map[int]*graph.Tensor
}

// NewBatcher validates ds and cfg and allocates the batch buffers.
func NewBatcher(ds *Dataset, cfg BatchConfig) (*Batcher, error) {
	const fn = "NewBatcher"
	if cfg.Size < 1 {
		return nil, invalid(fn, "batch size %d (want >= 1)", cfg.Size)
	}
	if err := ds.Validate(); err != nil {
		return nil, fmt.Errorf("data: %s: %w", fn, err)
	}
	n := ds.Len()
	b := &Batcher{ds: ds, cfg: cfg, size: min(cfg.Size, n), order: make([]int, n)}
	for i := range b.order {
		b.order[i] = i
	}
	b.rng, b.src = newRand(cfg.Seed)
	b.atStart = *b.src
	var err error
	if b.full, err = newBatchBuf(ds, b.size); err != nil {
		return nil, fmt.Errorf("data: %s: %w", fn, err)
	}
	if r := n % b.size; r != 0 && !cfg.DropLast {
		if b.part, err = newBatchBuf(ds, r); err != nil {
			return nil, fmt.Errorf("data: %s: %w", fn, err)
		}
	}
	return b, nil
}

func newBatchBuf(ds *Dataset, rows int) (batchBuf, error) {
	x, err := rowsLike(ds.X, rows)
	if err != nil {
		return batchBuf{}, err
	}
	y, err := rowsLike(ds.Y, rows)
	if err != nil {
		return batchBuf{}, err
	}
	buf := batchBuf{x: x, y: y}
	if len(ds.Inputs) > 0 {
		buf.in, buf.cur = map[string]*graph.Tensor{}, map[string]*graph.Tensor{}
		for name, t := range ds.Inputs {
			if buf.in[name], err = rowsLike(t, rows); err != nil {
				return batchBuf{}, fmt.Errorf("input %q: %w", name, err)
			}
			buf.cur[name] = buf.in[name]
		}
	}
	return buf, nil
}

// Next moves to the next batch and reports whether there is one; it
// reports false at the end of an epoch. It does not allocate.
func (b *Batcher) Next() bool {
	if !b.inEpoch {
		b.beginEpoch()
	}
	rest := len(b.order) - b.pos
	if rest == 0 || (b.cfg.DropLast && rest < b.size) {
		b.inEpoch = false
		b.cur, b.curIdx = batchBuf{}, nil
		return false
	}
	k := min(b.size, rest)
	buf := &b.full
	if k < b.size {
		buf = &b.part
	}
	idx := b.order[b.pos : b.pos+k]
	gather(buf.y, b.ds.Y, idx)
	for name, t := range b.ds.Inputs {
		gather(buf.in[name], t, idx)
	}
	b.pos += k
	b.cur, b.curIdx = *buf, idx
	if b.ds.Sequence {
		b.cur.x = trimmedX(buf, b.ds.X, idx) // a view; buf.x stays the full buffer
		b.trimInputs(buf, b.cur.x.Shape()[1])
		return true
	}
	gather(buf.x, b.ds.X, idx)
	return true
}

// trimInputs points each per-token input [k, T, ...] of the batch at its
// first columns, as many as X's trimmed batch has.
func (b *Batcher) trimInputs(buf *batchBuf, longest int) {
	t := b.ds.X.Shape()[1]
	for name, full := range buf.in {
		s := full.Shape()
		if len(s) < 2 || s[1] != t {
			continue
		}
		inner := 1
		for _, d := range s[2:] {
			inner *= d
		}
		trimRows(full, s[0], t*inner, longest*inner)
		views := buf.inTrim[name]
		if views == nil {
			if buf.inTrim == nil {
				buf.inTrim = map[string]map[int]*graph.Tensor{}
			}
			views = map[int]*graph.Tensor{}
			buf.inTrim[name] = views
		}
		v, ok := views[longest]
		if !ok {
			shape := append(graph.Shape{s[0], longest}, s[2:]...)
			v = prefixView(full, shape)
			views[longest] = v
		}
		buf.cur[name] = v
	}
}

// trimmedX gathers the token sequences idx of x into buf, trimmed to the
// longest (the columns after it are padding, 0, in every row), and returns
// them as [len(idx), longest]. The view for each length is made once.
func trimmedX(buf *batchBuf, x *graph.Tensor, idx []int) *graph.Tensor {
	src, t := ints(x), x.Shape()[1]
	longest := 1
	for _, j := range idx {
		row := src[j*t : (j+1)*t]
		for c := t - 1; c >= longest; c-- {
			if row[c] != 0 {
				longest = c + 1
				break
			}
		}
	}
	dst := ints(buf.x)
	for i, j := range idx {
		copy(dst[i*longest:(i+1)*longest], src[j*t:j*t+longest])
	}
	v, ok := buf.trims[longest]
	if !ok {
		if buf.trims == nil {
			buf.trims = map[int]*graph.Tensor{}
		}
		v, _ = graph.FromInts(dst[:len(idx)*longest], len(idx), longest) // a size that fits buf.x
		buf.trims[longest] = v
	}
	return v
}

// beginEpoch starts the next epoch, drawing its order when shuffling.
func (b *Batcher) beginEpoch() {
	b.atStart = *b.src
	b.shuffle()
	b.epoch++
	b.pos = 0
	b.inEpoch = true
}

// shuffle draws the current epoch's order from the identity, so the order
// depends only on the stream's state.
func (b *Batcher) shuffle() {
	if !b.cfg.Shuffle {
		return
	}
	for i := range b.order {
		b.order[i] = i
	}
	b.rng.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
}

// Batch returns the current batch: X [k, features...] and Y [k] or [k, t]
// with k = Size except for a last, partial batch. They are nil before the
// first Next and after Next reports false, and are overwritten by Next.
func (b *Batcher) Batch() (x, y *graph.Tensor) { return b.cur.x, b.cur.y }

// Inputs returns the current batch of the dataset's Inputs, by name (nil
// without any). The map and its tensors are the Batcher's own, overwritten
// by Next.
func (b *Batcher) Inputs() map[string]*graph.Tensor { return b.cur.cur }

// Indices returns the dataset indices of the current batch's examples. The
// slice is the Batcher's own: do not modify it.
func (b *Batcher) Indices() []int { return b.curIdx }

// Reset ends the current epoch early; the next call to Next begins a new one.
func (b *Batcher) Reset() {
	b.inEpoch = false
	b.cur, b.curIdx = batchBuf{}, nil
}

// Epoch returns the number of epochs begun: 1 during the first epoch.
func (b *Batcher) Epoch() int { return b.epoch }

// BatchesPerEpoch returns the number of batches Next yields per epoch.
func (b *Batcher) BatchesPerEpoch() int {
	n := len(b.order)
	if b.cfg.DropLast {
		return n / b.size
	}
	return (n + b.size - 1) / b.size
}

// BatchSize returns the size of a full batch: min(Size, N).
func (b *Batcher) BatchSize() int { return b.size }

// BatcherState is a Batcher's position, for checkpoints.
type BatcherState struct {
	Epoch   int    // epochs begun
	Pos     int    // examples served in the current epoch
	InEpoch bool   // false before the first epoch and after Next reported an epoch's end
	RNG     []byte // the shuffle stream (rand.PCG's binary form) when the current epoch began
}

// State returns the Batcher's position and shuffle stream.
func (b *Batcher) State() (BatcherState, error) {
	rng, err := b.atStart.MarshalBinary()
	if err != nil {
		return BatcherState{}, fmt.Errorf("data: Batcher.State: %w", err)
	}
	return BatcherState{Epoch: b.epoch, Pos: b.pos, InEpoch: b.inEpoch, RNG: rng}, nil
}

// SetState restores a position returned by State on a Batcher built with
// the same dataset size and config: the following batches are those the
// saved Batcher would have produced.
func (b *Batcher) SetState(s BatcherState) error {
	const fn = "Batcher.SetState"
	if s.Epoch < 0 || s.Pos < 0 || s.Pos > len(b.order) || (s.Epoch == 0 && (s.Pos != 0 || s.InEpoch)) {
		return invalid(fn, "epoch %d, position %d (want epoch >= 0 and position 0..%d, 0 before the first epoch)",
			s.Epoch, s.Pos, len(b.order))
	}
	var src rand.PCG
	if err := src.UnmarshalBinary(s.RNG); err != nil {
		return invalid(fn, "shuffle stream: %v", err)
	}
	*b.src = src
	b.atStart = src
	for i := range b.order {
		b.order[i] = i
	}
	if s.Epoch > 0 {
		b.shuffle() // redraw the current epoch's order, advancing the stream as it did
	}
	b.epoch, b.pos, b.inEpoch = s.Epoch, s.Pos, s.InEpoch
	b.cur, b.curIdx = batchBuf{}, nil
	return nil
}

// trimRows keeps the first keep of every w elements of the rows of t,
// packed at its start (rows*keep elements), in place.
func trimRows(t *graph.Tensor, rows, w, keep int) {
	switch t.DType() {
	case graph.Float32:
		packRows(f32s(t), rows, w, keep)
	case graph.Float64:
		packRows(f64s(t), rows, w, keep)
	default:
		packRows(ints(t), rows, w, keep)
	}
}

func packRows[T any](v []T, rows, w, keep int) {
	for r := 1; r < rows; r++ { // row 0 is in place; copy moves overlapping ranges
		copy(v[r*keep:(r+1)*keep], v[r*w:r*w+keep])
	}
}

// prefixView returns a tensor of the given shape over the first elements
// of t's memory (not copied).
func prefixView(t *graph.Tensor, shape graph.Shape) *graph.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var v *graph.Tensor
	switch t.DType() {
	case graph.Float32:
		v, _ = graph.FromFloat32(f32s(t)[:n], shape...)
	case graph.Float64:
		v, _ = graph.FromFloat64(f64s(t)[:n], shape...)
	default:
		v, _ = graph.FromInts(ints(t)[:n], shape...)
	}
	return v
}

package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/safetensors"
	"github.com/descent-ml/descent/optimizers"
)

// Format is the value of the "format" metadata entry.
const Format = "descent-checkpoint/1"

// Reserved metadata keys.
const (
	keyFormat    = "format"
	keyDType     = "dtype"
	keyOptimizer = "optimizer"
	keySchedule  = "schedule"
	prefixOpt    = "optimizer/"
	prefixExtra  = "extra/"
)

// ErrMismatch: the checkpoint does not fit the model (names, shapes, dtypes).
var ErrMismatch = errors.New("checkpoint does not match the model")

// ErrReserved: a parameter's name falls in a section of the file the
// checkpoint keeps for itself ("optimizer/", "extra/").
var ErrReserved = errors.New("reserved checkpoint name")

// ErrCorrupt: the file is not a valid descent checkpoint.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Contents is what a checkpoint holds besides the graph's parameters and buffers.
type Contents struct {
	Optimizer *optimizers.State        // nil: none
	Schedule  *optimizers.State        // nil: none
	Extra     map[string]*graph.Tensor // stored under "extra/<name>"
	Meta      map[string]string        // the caller's entries (not the reserved keys)
}

// File is a loaded checkpoint.
type File struct {
	Path   string
	DType  graph.DType
	Params map[string]*graph.Tensor // parameters and buffers by name
	Names  []string                 // their names, in file order
	Contents
}

// Save writes g's parameters and buffers and c to path, atomically.
func Save(path string, g *graph.Graph, c Contents) error {
	meta := map[string]string{keyFormat: Format, keyDType: g.DType().String()}
	for k, v := range c.Meta {
		switch k {
		case keyFormat, keyDType, keyOptimizer, keySchedule:
			return fmt.Errorf("checkpoint: Save: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	var named []safetensors.Named
	for _, p := range g.State() {
		for _, prefix := range []string{prefixOpt, prefixExtra} {
			if strings.HasPrefix(p.Name(), prefix) {
				return fmt.Errorf("checkpoint: Save: %w: parameter %q is in the section %q the checkpoint reserves for its own tensors (rename it)", ErrReserved, p.Name(), prefix)
			}
		}
		named = append(named, safetensors.Named{Name: p.Name(), T: p.Value()})
	}
	for _, st := range []struct {
		key string
		s   *optimizers.State
	}{{keyOptimizer, c.Optimizer}, {keySchedule, c.Schedule}} {
		if st.s == nil {
			continue
		}
		b, err := json.Marshal(st.s)
		if err != nil {
			return fmt.Errorf("checkpoint: Save: %s state: %w", st.key, err)
		}
		meta[st.key] = string(b)
		if st.key == keyOptimizer {
			for _, k := range sortedKeys(st.s.Tensors) {
				named = append(named, safetensors.Named{Name: prefixOpt + k, T: st.s.Tensors[k]})
			}
		}
	}
	for _, k := range sortedKeys(c.Extra) {
		named = append(named, safetensors.Named{Name: prefixExtra + k, T: c.Extra[k]})
	}
	if err := safetensors.Write(path, named, meta); err != nil {
		return fmt.Errorf("checkpoint: Save: %w", err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Load reads and checks a checkpoint.
func Load(path string) (*File, error) {
	sf, err := safetensors.Read(path)
	var pe *fs.PathError
	if errors.As(err, &pe) { // missing, unreadable: not a corrupt checkpoint
		return nil, fmt.Errorf("checkpoint: Load: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: Load: %w: %w", ErrCorrupt, err)
	}
	return fromSafetensors(path, sf)
}

// fromSafetensors checks the decoded file read from path and sorts its
// tensors and metadata (Load's work after reading).
func fromSafetensors(path string, sf *safetensors.File) (*File, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint: Load: %s: %w: %s", path, ErrCorrupt, fmt.Sprintf(format, args...))
	}
	if f := sf.Metadata[keyFormat]; f != Format {
		return nil, bad("format %q (want %q)", f, Format)
	}
	dt, err := graph.ParseDType(sf.Metadata[keyDType])
	if err != nil {
		return nil, bad("dtype %q (want float32 or float64)", sf.Metadata[keyDType])
	}
	f := &File{Path: path, DType: dt, Params: map[string]*graph.Tensor{}}
	f.Meta = map[string]string{}
	for k, v := range sf.Metadata {
		switch k {
		case keyFormat, keyDType, keyOptimizer, keySchedule:
		default:
			f.Meta[k] = v
		}
	}
	for _, st := range []struct {
		key string
		dst **optimizers.State
	}{{keyOptimizer, &f.Optimizer}, {keySchedule, &f.Schedule}} {
		raw, ok := sf.Metadata[st.key]
		if !ok {
			continue
		}
		s := &optimizers.State{}
		if err := json.Unmarshal([]byte(raw), s); err != nil {
			return nil, bad("%s state: %v", st.key, err)
		}
		s.Tensors = map[string]*graph.Tensor{}
		*st.dst = s
	}
	for _, name := range sf.Names {
		t := sf.Tensors[name]
		if t == nil { // zero-size tensors carry no data
			info := sf.Infos[name]
			var err error
			if t, err = emptyTensor(sf.Infos[name].DType, info.Shape); err != nil {
				return nil, bad("tensor %q: %v", name, err)
			}
		}
		if t.DType() != dt {
			return nil, bad("tensor %q is %v (want %v, the checkpoint's dtype)", name, t.DType(), dt)
		}
		switch {
		case strings.HasPrefix(name, prefixOpt):
			if f.Optimizer == nil {
				return nil, bad("tensor %q but no optimizer state", name)
			}
			f.Optimizer.Tensors[strings.TrimPrefix(name, prefixOpt)] = t
		case strings.HasPrefix(name, prefixExtra):
			if f.Extra == nil {
				f.Extra = map[string]*graph.Tensor{}
			}
			f.Extra[strings.TrimPrefix(name, prefixExtra)] = t
		default:
			f.Params[name] = t
			f.Names = append(f.Names, name)
		}
	}
	return f, nil
}

func emptyTensor(dtype string, shape []int) (*graph.Tensor, error) {
	switch dtype {
	case "F32":
		return graph.FromFloat32(nil, shape...)
	case "F64":
		return graph.FromFloat64(nil, shape...)
	}
	return nil, fmt.Errorf("dtype %s", dtype)
}

// Restore copies the checkpoint's parameters and buffers into g. Every
// parameter and buffer of g must be in the checkpoint with the same shape
// and dtype, and the checkpoint must hold nothing g lacks; on a mismatch
// nothing is copied.
func (f *File) Restore(g *graph.Graph) error {
	if err := f.check(g, "Restore"); err != nil {
		return err
	}
	for _, p := range g.State() {
		if err := p.Value().CopyFrom(f.Params[p.Name()]); err != nil {
			return fmt.Errorf("checkpoint: Restore: %s: %w: %v", f.Path, ErrMismatch, err)
		}
	}
	return nil
}

// Check reports whether Restore would succeed, changing nothing.
func (f *File) Check(g *graph.Graph) error { return f.check(g, "Check") }

func (f *File) check(g *graph.Graph, fn string) error {
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint: %s: %s: %w: %s", fn, f.Path, ErrMismatch, fmt.Sprintf(format, args...))
	}
	if g.DType() != f.DType {
		return mismatch("checkpoint is %v, model is %v", f.DType, g.DType())
	}
	state := g.State()
	have := map[string]bool{}
	for _, p := range state {
		have[p.Name()] = true
		t, ok := f.Params[p.Name()]
		if !ok {
			return mismatch("no tensor %q (the model's %v)", p.Name(), p.Shape())
		}
		if !t.Shape().Equal(p.Shape()) {
			return mismatch("tensor %q has shape %v (the model's is %v)", p.Name(), t.Shape(), p.Shape())
		}
	}
	for _, name := range f.Names {
		if !have[name] {
			return mismatch("tensor %q is not a parameter or buffer of the model", name)
		}
	}
	return nil
}

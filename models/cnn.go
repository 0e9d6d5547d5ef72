package models

import (
	"fmt"
	"sort"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/ops"
)

// ConvBlock is one convolution stage of a CNN: a Size×Size convolution to
// Filters channels ("same" padding, stride 1), [batch norm], ReLU, then a
// 2×2 max pool with stride 2 when Pool is set.
type ConvBlock struct {
	Filters, Size int
	Pool          bool
}

// CNNConfig configures a convolutional classifier.
type CNNConfig struct {
	// Image is [channels, height, width] of one example. Inputs may be
	// [N, C, H, W] or flat [N, C*H*W] (reshaped first).
	Image   []int
	Classes int
	// Blocks are the convolution stages, Dense the widths of the hidden
	// dense layers after flattening; empty both for the Preset's.
	Blocks []ConvBlock
	Dense  []int
	// Preset names an architecture (see CNNPresets); "" with no Blocks
	// selects DefaultCNNPreset.
	Preset    string
	BatchNorm bool // batch norm after every convolution and hidden dense layer
	BNConfig  ops.BatchNormConfig
	Dropout   float64 // dropout after each hidden dense layer
	Name      string  // parameter scope, default "cnn"
}

// The CNN presets: DeepOBS's mnist_2c2d test problem (Schneider et al.
// 2019, "DeepOBS: a deep learning optimizer benchmark suite") and a
// smaller net of the same shape.
var cnnPresets = map[string]struct {
	blocks []ConvBlock
	dense  []int
}{
	// conv 32 5x5 same, ReLU, max pool 2 — conv 64 5x5 same, ReLU, max pool 2
	// — dense 1024, ReLU — dense classes. 3.27M parameters for MNIST.
	"mnist_2c2d": {[]ConvBlock{{32, 5, true}, {64, 5, true}}, []int{1024}},
	// The same with 16 and 32 filters and 128 hidden units: 0.2M parameters.
	"small": {[]ConvBlock{{16, 5, true}, {32, 5, true}}, []int{128}},
}

// DefaultCNNPreset is the architecture of CNNConfig's zero value.
const DefaultCNNPreset = "mnist_2c2d"

// CNNPresets returns the preset names.
func CNNPresets() []string {
	var out []string
	for k := range cnnPresets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CNN is a configurable conv net: convolution blocks, then dense layers
// with a linear output giving class logits. Parameters are named
// cnn/conv<i>/w, cnn/conv<i>/b, cnn/bn<i>/..., cnn/dense<j>/w, ...
type CNN struct {
	Sequential
}

// NewCNN builds the layers and their parameters.
func NewCNN(g *graph.Graph, cfg CNNConfig) (*CNN, error) {
	if len(cfg.Image) != 3 || cfg.Image[0] <= 0 || cfg.Image[1] <= 0 || cfg.Image[2] <= 0 {
		return nil, fmt.Errorf("models: NewCNN: image %v (want [channels height width])", cfg.Image)
	}
	if _, err := size(cfg.Image...); err != nil {
		return nil, fmt.Errorf("models: NewCNN: image: %w", err)
	}
	if cfg.Classes < 2 {
		return nil, fmt.Errorf("models: NewCNN: %d classes (want at least 2)", cfg.Classes)
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, fmt.Errorf("models: NewCNN: dropout %v (want 0 <= p < 1)", cfg.Dropout)
	}
	blocks, dense := cfg.Blocks, cfg.Dense
	if len(blocks) == 0 {
		name := orDefault(cfg.Preset, DefaultCNNPreset)
		p, ok := cnnPresets[name]
		if !ok {
			return nil, fmt.Errorf("models: NewCNN: unknown preset %q (want one of %v)", name, CNNPresets())
		}
		blocks, dense = p.blocks, p.dense
	} else if cfg.Preset != "" {
		return nil, fmt.Errorf("models: NewCNN: both a preset and blocks")
	}
	s := g.Scope(orDefault(cfg.Name, "cnn"))
	m := &CNN{}
	m.Layers = append(m.Layers, Reshape{Shape: cfg.Image})
	c, h, w := cfg.Image[0], cfg.Image[1], cfg.Image[2]
	for i, b := range blocks {
		if b.Filters <= 0 || b.Size <= 0 || b.Size%2 == 0 {
			return nil, fmt.Errorf("models: NewCNN: block %d: %d filters of size %d (want positive, odd size for same padding)", i, b.Filters, b.Size)
		}
		conv, err := ops.NewConv2D(s.Scope(fmt.Sprintf("conv%d", i)), c, b.Filters, b.Size,
			ops.Conv2DConfig{Padding: ops.Both(b.Size / 2), NoBias: cfg.BatchNorm})
		if err != nil {
			return nil, fmt.Errorf("models: NewCNN: %w", err)
		}
		m.Layers = append(m.Layers, conv)
		if cfg.BatchNorm {
			bn, err := ops.NewBatchNorm(s.Scope(fmt.Sprintf("bn%d", i)), b.Filters, cfg.BNConfig)
			if err != nil {
				return nil, fmt.Errorf("models: NewCNN: %w", err)
			}
			m.Layers = append(m.Layers, bn)
		}
		m.Layers = append(m.Layers, ReLU)
		c = b.Filters
		if b.Pool {
			if h < 2 || w < 2 {
				return nil, fmt.Errorf("models: NewCNN: block %d pools a %dx%d map", i, h, w)
			}
			m.Layers = append(m.Layers, MaxPool{ops.PoolConfig{Kernel: ops.Both(2)}})
			h, w = h/2, w/2
		}
	}
	m.Layers = append(m.Layers, Flatten{})
	in, err := size(c, h, w)
	if err != nil {
		return nil, fmt.Errorf("models: NewCNN: flattened features: %w", err)
	}
	for j, width := range append(append([]int(nil), dense...), cfg.Classes) {
		d, err := NewDense(s.Scope(fmt.Sprintf("dense%d", j)), in, width, DenseConfig{NoBias: cfg.BatchNorm && j < len(dense)})
		if err != nil {
			return nil, fmt.Errorf("models: NewCNN: %w", err)
		}
		m.Layers = append(m.Layers, d)
		if j == len(dense) {
			break
		}
		if cfg.BatchNorm {
			bn, err := ops.NewBatchNorm(s.Scope(fmt.Sprintf("bn_dense%d", j)), width, cfg.BNConfig)
			if err != nil {
				return nil, fmt.Errorf("models: NewCNN: %w", err)
			}
			m.Layers = append(m.Layers, bn)
		}
		m.Layers = append(m.Layers, ReLU)
		if cfg.Dropout > 0 {
			m.Layers = append(m.Layers, Dropout{P: cfg.Dropout})
		}
		in = width
	}
	return m, nil
}

func newCNNFromSpec(g *graph.Graph, s Spec) (Module, error) {
	if len(s.Image) == 3 {
		n, err := size(s.Image...)
		if err != nil {
			return nil, fmt.Errorf("models: Build: cnn: image: %w", err)
		}
		if s.In != n {
			return nil, fmt.Errorf("models: Build: cnn: %w: %d input features for image %v (want %d)", graph.ErrShape, s.In, s.Image, n)
		}
	}
	return NewCNN(g, CNNConfig{Image: s.Image, Classes: s.Out, Preset: s.Preset, BatchNorm: s.BatchNorm, Dropout: s.Dropout})
}

// size is the product of dims, checked: an error wrapping graph.ErrShape
// when a dimension is not positive or the product exceeds
// graph.MaxElements (so it cannot overflow int).
func size(dims ...int) (int, error) {
	n := 1
	for _, d := range dims {
		if d <= 0 || n > graph.MaxElements/d {
			return 0, fmt.Errorf("%w: sizes %v (want positive, with a product of at most graph.MaxElements = %d)",
				graph.ErrShape, dims, graph.MaxElements)
		}
		n *= d
	}
	return n, nil
}

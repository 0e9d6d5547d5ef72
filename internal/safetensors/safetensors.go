package safetensors

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/descent-ml/descent/graph"
)

// MaxHeaderSize is the largest JSON header, in bytes, that Read accepts
// (the reference implementation's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the string metadata.
const metadataKey = "__metadata__"

// Sentinel errors, tested with errors.Is.
var (
	// ErrFormat: the bytes are not a valid safetensors file.
	ErrFormat = errors.New("invalid safetensors file")
	// ErrUnsupported: a valid file holds a dtype descent cannot represent.
	ErrUnsupported = errors.New("unsupported dtype")
)

// Named is a tensor and the name it is stored under, e.g. "mlp/dense0/w".
type Named struct {
	Name string
	T    *graph.Tensor
}

// Info describes one tensor of a file as its header declares it.
type Info struct {
	DType   string   // safetensors dtype: "F32", "F64", ...
	Shape   []int    // row-major; [] for a scalar
	Offsets [2]int64 // data_offsets: begin and end (exclusive) in the data buffer
}

// File is the decoded content of a safetensors file.
type File struct {
	// Names lists every tensor in buffer order (by data offset).
	Names []string
	// Tensors holds every tensor that has at least one element, as a
	// graph.Float32 (F32) or graph.Float64 (F64) tensor owning its data.
	Tensors map[string]*graph.Tensor
	// Infos describes every tensor, zero-size ones included.
	Infos map[string]Info
	// Metadata is the "__metadata__" map, nil when the file has none.
	Metadata map[string]string
}

// FormatError reports a file that is malformed (Err is ErrFormat) or that
// holds a dtype descent does not support (Err is ErrUnsupported).
type FormatError struct {
	Source string // the file's path, or "Decode" / "DecodeBytes" for in-memory input
	Tensor string // the tensor concerned, if HasTensor
	// HasTensor tells a fault in one tensor's entry from one in the file
	// as a whole (the format allows the empty name).
	HasTensor bool
	Reason    string
	Err       error
}

func (e *FormatError) Error() string {
	if e.HasTensor {
		return fmt.Sprintf("safetensors: %s: tensor %q: %s", e.Source, e.Tensor, e.Reason)
	}
	return fmt.Sprintf("safetensors: %s: %s", e.Source, e.Reason)
}

// Unwrap returns ErrFormat or ErrUnsupported.
func (e *FormatError) Unwrap() error { return e.Err }

// dtypeBits is the element size in bits of every dtype the reference
// implementation knows; ok is false for an unknown dtype. Sub-byte types
// must fill whole bytes.
func dtypeBits(dtype string) (n uint64, ok bool) {
	switch dtype {
	case "F4":
		return 4, true
	case "F6_E2M3", "F6_E3M2":
		return 6, true
	case "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0":
		return 8, true
	case "I16", "U16", "F16", "BF16":
		return 16, true
	case "I32", "U32", "F32":
		return 32, true
	case "I64", "U64", "F64", "C64":
		return 64, true
	}
	return 0, false
}

// numElements is the product of dims, ok false on overflow. It folds in
// order like the reference, so [2^40 2^40 0] overflows.
func numElements(dims []uint64) (n uint64, ok bool) {
	n = 1
	for _, d := range dims {
		hi, lo := bits.Mul64(n, d)
		if hi != 0 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// byteSize is the storage of n elements of a dtype of bitsPer bits; ok
// false on overflow or when the bits do not fill whole bytes.
func byteSize(n, bitsPer uint64) (size uint64, ok bool) {
	hi, lo := bits.Mul64(n, bitsPer)
	if hi != 0 || lo%8 != 0 {
		return 0, false
	}
	return lo / 8, true
}

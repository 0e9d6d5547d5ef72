package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

func f32(t testing.TB, data []float32, shape ...int) *graph.Tensor {
	t.Helper()
	x, err := graph.FromFloat32(data, shape...)
	require.NoError(t, err)
	return x
}

func f64(t testing.TB, data []float64, shape ...int) *graph.Tensor {
	t.Helper()
	x, err := graph.FromFloat64(data, shape...)
	require.NoError(t, err)
	return x
}

// requireSame checks that got holds want's tensors, bit for bit, in order.
func requireSame(t *testing.T, want []Named, got *File) {
	t.Helper()
	require.Len(t, got.Names, len(want))
	for i, nt := range want {
		require.Equal(t, nt.Name, got.Names[i], "order")
		g := got.Tensors[nt.Name]
		require.NotNil(t, g, nt.Name)
		require.Equal(t, nt.T.DType(), g.DType(), nt.Name)
		require.True(t, nt.T.Shape().Equal(got.Infos[nt.Name].Shape), "%s: info shape %v", nt.Name, got.Infos[nt.Name].Shape)
		require.True(t, nt.T.Shape().Equal(g.Shape()), "%s: shape %v (want %v)", nt.Name, g.Shape(), nt.T.Shape())
		switch nt.T.DType() {
		case graph.Float32:
			for j, v := range f32Of(t, nt.T) {
				require.Equal(t, math.Float32bits(v), math.Float32bits(f32Of(t, g)[j]), "%s[%d]", nt.Name, j)
			}
		default:
			for j, v := range nt.T.Values() {
				require.Equal(t, math.Float64bits(v), math.Float64bits(g.Values()[j]), "%s[%d]", nt.Name, j)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	nan32 := math.Float32frombits(0x7fc00123) // a NaN with a payload
	cases := []struct {
		name    string
		tensors []Named
		meta    map[string]string
	}{
		{name: "float32 matrix", tensors: []Named{
			{"mlp/dense0/w", f32(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		}},
		{name: "float64 vector", tensors: []Named{
			{"b", f64(t, []float64{math.Pi, -math.E, 1e-310}, 3)},
		}},
		{name: "scalars", tensors: []Named{
			{"s32", f32(t, []float32{3.5})},
			{"s64", f64(t, []float64{-0.25})},
		}},
		{name: "special values", tensors: []Named{
			{"x", f32(t, []float32{nan32, float32(math.Inf(1)), float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32}, 4)},
			{"y", f64(t, []float64{math.NaN(), math.Inf(-1), math.MaxFloat64}, 3)},
		}},
		{name: "mixed with metadata, caller order kept", tensors: []Named{
			{"z/last-name-first", f64(t, []float64{1, 2}, 2, 1)},
			{"a/w", f32(t, []float32{0.5, 0.25, 0.125}, 1, 3)},
			{"é/ünïcode \"quoted\" <html>", f32(t, []float32{9}, 1)},
		}, meta: map[string]string{"format": "pt", "step": "1200", "note": "ü \"q\" \n tab\t"}},
		{name: "metadata only", meta: map[string]string{"k": "v"}},
		{name: "nothing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Encode(&buf, tc.tensors, tc.meta))
			n := binary.LittleEndian.Uint64(buf.Bytes())
			assert.Zero(t, n%8, "header length %d is not padded to a multiple of 8", n)

			got, err := DecodeBytes(buf.Bytes())
			require.NoError(t, err)
			requireSame(t, tc.tensors, got)
			if len(tc.meta) == 0 {
				require.Nil(t, got.Metadata)
			} else {
				require.Equal(t, tc.meta, got.Metadata)
			}

			path := filepath.Join(t.TempDir(), "ckpt.safetensors")
			require.NoError(t, Write(path, tc.tensors, tc.meta))
			fromDisk, err := Read(path)
			require.NoError(t, err)
			requireSame(t, tc.tensors, fromDisk)

			var again bytes.Buffer
			require.NoError(t, Encode(&again, tc.tensors, tc.meta))
			require.Equal(t, buf.Bytes(), again.Bytes(), "output is not deterministic")
		})
	}
}

// handFile is a file built byte by byte from the spec, not by Encode:
// "a" F32 [2] = {1, -2}, "b" F64 scalar = 0.5, metadata format=pt.
func handFile() []byte {
	header := `{"__metadata__":{"format":"pt"},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}`
	// 138 bytes of JSON, padded with 6 spaces to 144 = 0x90.
	b := []byte{0x90, 0, 0, 0, 0, 0, 0, 0}
	b = append(b, header+"      "...)
	b = append(b,
		0x00, 0x00, 0x80, 0x3f, // float32 1.0 = 0x3f800000
		0x00, 0x00, 0x00, 0xc0, // float32 -2.0 = 0xc0000000
		0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // float64 0.5 = 0x3fe0000000000000
	)
	return b
}

func TestEncodeMatchesHandBuiltFile(t *testing.T) {
	var buf bytes.Buffer
	err := Encode(&buf, []Named{
		{"a", f32(t, []float32{1, -2}, 2)},
		{"b", f64(t, []float64{0.5})},
	}, map[string]string{"format": "pt"})
	require.NoError(t, err)
	require.Equal(t, handFile(), buf.Bytes())
}

func TestDecodeHandBuiltFile(t *testing.T) {
	f, err := DecodeBytes(handFile())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, f.Names)
	require.Equal(t, map[string]string{"format": "pt"}, f.Metadata)
	require.Equal(t, []float32{1, -2}, f32Of(t, f.Tensors["a"]))
	require.Equal(t, []float64{0.5}, f.Tensors["b"].Values())
	require.Equal(t, Info{DType: "F64", Shape: []int{}, Offsets: [2]int64{8, 16}}, f.Infos["b"])
}

// rawFile builds a file from a header and a data buffer, unpadded.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeZeroSizeAndOrder(t *testing.T) {
	// Header order differs from buffer order; two zero-size tensors share
	// offset 0 with a scalar; the reference writer's spacing and unknown
	// fields are accepted.
	header := `{"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4], "extra": [1, {"x": null}]},
	 "e": {"dtype":"F64","shape":[0,4],"data_offsets":[0,0]},
	 "z": {"dtype":"F32","shape":[3,0],"data_offsets":[4,4]}}`
	f, err := DecodeBytes(rawFile(header, []byte{0, 0, 0x40, 0x40})) // float32 3.0
	require.NoError(t, err)
	require.Equal(t, []string{"e", "s", "z"}, f.Names)
	require.Equal(t, []float32{3}, f32Of(t, f.Tensors["s"]))
	require.Equal(t, Info{DType: "F64", Shape: []int{0, 4}, Offsets: [2]int64{0, 0}}, f.Infos["e"])
	require.Equal(t, Info{DType: "F32", Shape: []int{3, 0}, Offsets: [2]int64{4, 4}}, f.Infos["z"])
	require.NotContains(t, f.Tensors, "e", "graph.Tensor has no zero-size dimension")
	require.NotContains(t, f.Tensors, "z")
}

func TestEncodeRejectsBadInput(t *testing.T) {
	labels, err := graph.FromInts([]int{1, 2}, 2)
	require.NoError(t, err)
	ok := f32(t, []float32{1}, 1)
	cases := []struct {
		name    string
		tensors []Named
		meta    map[string]string
		want    error
	}{
		{"int tensor", []Named{{"labels", labels}}, nil, graph.ErrDType},
		{"nil tensor", []Named{{"w", nil}}, nil, graph.ErrDType},
		{"zero-value tensor", []Named{{"w", &graph.Tensor{}}}, nil, graph.ErrDType},
		{"duplicate name", []Named{{"w", ok}, {"w", ok}}, nil, graph.ErrName},
		{"empty name", []Named{{"", ok}}, nil, graph.ErrName},
		{"reserved name", []Named{{"__metadata__", ok}}, nil, graph.ErrName},
		{"invalid UTF-8 name", []Named{{"w\xff", ok}}, nil, graph.ErrName},
		{"invalid UTF-8 metadata", []Named{{"w", ok}}, map[string]string{"k": "\xfe"}, ErrFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Encode(&buf, tc.tensors, tc.meta)
			require.ErrorIs(t, err, tc.want)
			require.Zero(t, buf.Len(), "Encode wrote before validating")
		})
	}
}

type failingWriter struct{ left int }

var errInjected = errors.New("injected write failure")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errInjected
	}
	w.left -= len(p)
	return len(p), nil
}

func TestEncodeReportsWriteFailure(t *testing.T) {
	big := f32(t, make([]float32, 100_000), 100_000) // several chunks
	for _, after := range []int{0, 100, 200_000} {
		err := Encode(&failingWriter{left: after}, []Named{{"w", big}}, nil)
		require.ErrorIs(t, err, errInjected, "failure after %d bytes", after)
	}
}

// f32Of returns the values of a float32 tensor.
func f32Of(t testing.TB, x *graph.Tensor) []float32 {
	t.Helper()
	v, err := x.Float32s()
	require.NoError(t, err)
	return v
}

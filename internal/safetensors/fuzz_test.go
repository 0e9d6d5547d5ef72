package safetensors

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// FuzzDecode checks that no input makes the decoder panic, that every
// error is a format error, and that whatever decodes re-encodes to a file
// that decodes to the same tensors.
//
//	go test -fuzz FuzzDecode -fuzztime 20s ./internal/safetensors
func FuzzDecode(f *testing.F) {
	for _, b := range decodeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := DecodeBytes(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error is neither ErrFormat nor ErrUnsupported: %v", err)
			}
			return
		}
		if len(file.Names) != len(file.Infos) {
			t.Fatalf("%d names but %d infos", len(file.Names), len(file.Infos))
		}
		var named []Named
		for _, name := range file.Names {
			x, ok := file.Tensors[name]
			if !ok || name == "" {
				return // zero-size tensors and empty names cannot be written back
			}
			named = append(named, Named{name, x})
		}
		var out bytes.Buffer
		if err := Encode(&out, named, file.Metadata); err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, err := DecodeBytes(out.Bytes())
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		for _, nt := range named {
			a, b := nt.T.Values(), again.Tensors[nt.Name].Values()
			if len(a) != len(b) {
				t.Fatalf("tensor %q: %d values after re-encoding (want %d)", nt.Name, len(b), len(a))
			}
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
					t.Fatalf("tensor %q[%d]: %v after re-encoding (want %v)", nt.Name, i, b[i], a[i])
				}
			}
		}
	})
}

// decodeSeeds are FuzzDecode's seeds (also in testdata/fuzz/FuzzDecode).
func decodeSeeds(tb testing.TB) [][]byte {
	seeds := [][]byte{
		handFile(),
		rawFile(`{}`, nil),
		rawFile(`{"e":{"dtype":"F64","shape":[0,4],"data_offsets":[0,0]},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)),
		rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
		rawFile(`{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}`, make([]byte, 8)),
	}
	var buf bytes.Buffer
	if err := Encode(&buf, []Named{
		{"mlp/dense0/w", f32(tb, []float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		{"mlp/dense0/b", f64(tb, []float64{-1, 0.5}, 2)},
	}, map[string]string{"step": "7"}); err != nil {
		tb.Fatal(err)
	}
	return append(seeds, buf.Bytes())
}

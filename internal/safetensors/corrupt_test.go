package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// prefixed is a length prefix claiming n header bytes, followed by rest.
func prefixed(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

func TestDecodeRejectsCorruptFiles(t *testing.T) {
	w8 := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	eight := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string // substring of the message
	}{
		{"empty file", nil, "file is 0 bytes, too short"},
		{"short length prefix", []byte{1, 2, 3}, "file is 3 bytes, too short"},
		{"header over the cap", prefixed(MaxHeaderSize+1, "{}"), "exceeds the 100000000-byte limit"},
		{"header length 2^64-1", prefixed(1<<64-1, "{}"), "exceeds the 100000000-byte limit"},
		{"header longer than file", prefixed(100, "{}      "), "header length 100 exceeds the 8 bytes that follow it"},
		{"empty header", rawFile("", nil), "does not start with '{'"},
		{"header not UTF-8", rawFile("{\"w\xff\":1}", nil), "not valid UTF-8"},
		{"header an array", rawFile("[]", nil), "does not start with '{'"},
		{"leading space", rawFile(" {}", nil), "does not start with '{'"},
		{"truncated JSON", rawFile(`{"w":{"dtype":"F32"`, nil), "not valid JSON"},
		{"missing comma", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]} "b":{}}`, eight[:4]), "not valid JSON"},
		{"missing colon", rawFile(`{"a" {}}`, nil), "not valid JSON"},
		{"garbage after object", rawFile(`{} x`, nil), "not valid JSON"},
		{"second object", rawFile(`{}{}`, nil), "header has an object after its JSON object"},
		{"NUL padding", rawFile("{}\x00\x00", nil), "not valid JSON"},
		{"duplicate name", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight),
			`duplicate key "w"`},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`},
		{"duplicate field", rawFile(`{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "w": duplicate field "dtype"`},
		{"entry not an object", rawFile(`{"w":5}`, nil), `tensor "w": entry is 5 (want a JSON object)`},
		{"no dtype", rawFile(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "w": entry has no "dtype"`},
		{"no shape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, eight), `entry has no "shape"`},
		{"no offsets", rawFile(`{"w":{"dtype":"F32","shape":[2]}}`, eight), `entry has no "data_offsets"`},
		{"unknown dtype", rawFile(`{"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}`, eight), `tensor "w": unknown dtype "F17"`},
		{"lower-case dtype", rawFile(`{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}`, eight), `unknown dtype "f32"`},
		{"dtype not a string", rawFile(`{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, eight), "dtype is 32 (want a string)"},
		{"negative dim", rawFile(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "shape holds -2"},
		{"fractional dim", rawFile(`{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, eight), "shape holds 2.0"},
		{"dim over 2^64", rawFile(`{"w":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}}`, eight), "shape holds 18446744073709551616"},
		{"shape not an array", rawFile(`{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}`, eight), `shape holds the string "2"`},
		{"too many dims", rawFile(`{"w":{"dtype":"F32","shape":[`+strings.Repeat("1,", maxRank)+`1],"data_offsets":[0,4]}}`, eight[:4]),
			"shape has more than 1024 values"},
		{"three offsets", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, eight), "data_offsets has more than 2 values"},
		{"one offset", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, eight), "data_offsets has 1 values (want 2)"},
		{"end before begin", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, eight), "data_offsets [8 0] end before they begin"},
		{"size mismatch", rawFile(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight),
			`tensor "w": data_offsets [0 8] but shape [3] of F32 needs 12 bytes`},
		{"shape overflow", rawFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, eight),
			"shape [4294967296 4294967296 4294967296] overflows 64 bits"},
		{"byte size overflow", rawFile(`{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}`, eight),
			"shape [4611686018427387904] of F64 is not a whole number of bytes below 2^64"},
		{"sub-byte misaligned", rawFile(`{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}`, eight[:1]), "F4 is not a whole number of bytes"},
		{"zero-size dim beyond int", rawFile(`{"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil),
			"dimension 18446744073709551615 does not fit an int"},
		{"offsets past buffer", rawFile(w8, eight[:4]), "data_offsets [0 8] exceed the 4-byte data buffer"},
		{"huge offsets", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551607,18446744073709551615]}}`, eight),
			"exceed the 8-byte data buffer"},
		{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			`tensor "b": data_offsets [4 12] overlap tensor "a", which ends at 8`},
		{"same offsets twice", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight),
			`overlap tensor`},
		{"zero-size inside another", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, eight),
			`tensor "e": data_offsets [4 4] overlap tensor "a"`},
		{"gap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}`, make([]byte, 20)),
			`tensor "b": data_offsets [12 20] leave bytes [8 12) of the data buffer unused`},
		{"hole at start", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "leave bytes [0 4)"},
		{"trailing bytes", rawFile(w8, make([]byte, 9)), "tensors cover 8 of the 9 bytes of the data buffer"},
		{"buffer but no tensors", rawFile(`{}`, eight), "tensors cover 0 of the 8 bytes"},
		{"metadata not an object", rawFile(`{"__metadata__":[1]}`, nil), "__metadata__ is not a JSON object of strings"},
		{"metadata value not a string", rawFile(`{"__metadata__":{"step":12}}`, nil), "__metadata__ is not a JSON object of strings"},
		{"metadata value null", rawFile(`{"__metadata__":{"step":null}}`, nil), `key "step" is null`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DecodeBytes(tc.file)
			require.Error(t, err)
			require.Nil(t, f)
			require.ErrorIs(t, err, ErrFormat)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "DecodeBytes", fe.Source)
			require.True(t, strings.HasPrefix(err.Error(), "safetensors: DecodeBytes: "), err.Error())
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadNamesFileAndTensor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	file := rawFile(`{"mlp/dense0/w":{"dtype":"F32","shape":[10,20],"data_offsets":[0,400]}}`, make([]byte, 400))
	require.NoError(t, os.WriteFile(path, file, 0o644))
	_, err := Read(path)
	require.EqualError(t, err,
		"safetensors: "+path+`: tensor "mlp/dense0/w": data_offsets [0 400] but shape [10 20] of F32 needs 800 bytes`)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, FormatError{Source: path, Tensor: "mlp/dense0/w", HasTensor: true,
		Reason: "data_offsets [0 400] but shape [10 20] of F32 needs 800 bytes", Err: ErrFormat}, *fe)
}

func TestReadMissingFile(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "nope.safetensors"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestReadDirectory(t *testing.T) {
	_, err := Read(t.TempDir())
	require.ErrorIs(t, err, ErrFormat)
	require.Contains(t, err.Error(), "not a regular file")
}

func TestDecodeUnsupportedDType(t *testing.T) {
	file := rawFile(`{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8))
	_, err := DecodeBytes(file)
	require.ErrorIs(t, err, ErrUnsupported)
	require.NotErrorIs(t, err, ErrFormat)
	require.Contains(t, err.Error(), `tensor "ids": dtype I64 is valid safetensors, but descent reads only F32 and F64`)

	// Corruption is reported before unsupported dtypes.
	file = rawFile(`{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))
	_, err = DecodeBytes(file)
	require.ErrorIs(t, err, ErrFormat)
}

// Every prefix of a valid file is an error, and never a panic.
func TestDecodeTruncated(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, []Named{
		{"a", f32(t, []float32{1, 2, 3}, 3)},
		{"b", f64(t, []float64{4, 5}, 2)},
	}, map[string]string{"k": "v"}))
	full := buf.Bytes()
	for n := range len(full) {
		_, err := DecodeBytes(full[:n])
		require.ErrorIs(t, err, ErrFormat, "prefix of %d bytes", n)
	}
}

// A reader that holds fewer bytes than the size it is decoded with.
func TestDecodeSizeLargerThanReader(t *testing.T) {
	full := handFile()
	_, err := Decode(bytes.NewReader(full), 1<<40)
	require.ErrorIs(t, err, ErrFormat)
	require.Contains(t, err.Error(), "truncated")
}

type errReaderAt struct{}

var errDisk = errors.New("disk on fire")

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestDecodeIOError(t *testing.T) {
	_, err := Decode(errReaderAt{}, 64)
	require.ErrorIs(t, err, errDisk)
	require.NotErrorIs(t, err, ErrFormat)
}

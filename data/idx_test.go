package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// idxFile builds an IDX file: the magic number, the dimensions and payload.
func idxFile(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestParseIDX(t *testing.T) {
	payload := make([]byte, 12)
	for i := range payload {
		payload[i] = byte(251 - 7*i) // distinct, high bit set in some
	}
	tests := []struct {
		name    string
		in      []byte
		dims    []int
		data    []byte // the payload a success returns
		wantErr string // substring of the error; "" for success
	}{
		{"1-d", idxFile(0x801, []uint32{3}, []byte{1, 2, 3}), []int{3}, []byte{1, 2, 3}, ""},
		{"3-d", idxFile(0x803, []uint32{2, 2, 3}, payload), []int{2, 2, 3}, payload, ""},
		{"empty", nil, nil, nil, "0 bytes long, too short"},
		{"short magic", []byte{0, 0, 8}, nil, nil, "3 bytes long, too short"},
		{"nonzero first bytes", idxFile(0x01000801, []uint32{1}, []byte{0}), nil, nil, "does not start with two zero bytes"},
		{"float type code", idxFile(0x00000D01, []uint32{1}, make([]byte, 4)), nil, nil, "type code 0x0D (want 0x08, unsigned byte)"},
		{"no dimensions", []byte{0, 0, 8, 0}, nil, nil, "0 dimensions"},
		{"truncated header", idxFile(0x803, []uint32{2, 2}, nil), nil, nil, "header of 3 dimensions needs 16 bytes but the file has 12"},
		{"zero dimension", idxFile(0x802, []uint32{2, 0}, nil), nil, nil, "dimension 1 is 0"},
		{"huge dimensions", idxFile(0x803, []uint32{1 << 31, 1 << 31, 1 << 31}, nil), nil, nil, "more than 1073741824 bytes"},
		{"truncated payload", idxFile(0x801, []uint32{4}, []byte{1, 2}), nil, nil, "header says [4] = 4 bytes of data but the file has 2"},
		{"trailing bytes", idxFile(0x801, []uint32{1}, []byte{1, 2}), nil, nil, "header says [1] = 1 bytes of data but the file has 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseIDX(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				require.ErrorIs(t, err, ErrFormat)
				require.Contains(t, err.Error(), tt.wantErr)
				require.Contains(t, err.Error(), "data: ParseIDX: ")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.dims, got.Dims)
			require.Len(t, got.Data, product(tt.dims))
			require.Equal(t, tt.data, got.Data, "the payload after the header, byte for byte")
		})
	}
}

func TestGunzip(t *testing.T) {
	payload := bytes.Repeat([]byte("descent"), 1000)
	z := gzipBytes(t, payload)
	got, err := gunzip(z)
	require.NoError(t, err)
	require.Equal(t, payload, got)

	_, err = gunzip([]byte("plain text"))
	require.ErrorContains(t, err, "not a valid gzip file")

	_, err = gunzip(z[:len(z)/2])
	require.ErrorContains(t, err, "truncated")

	// A wrong ISIZE trailer is only a size hint.
	bad := bytes.Clone(z)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], 3)
	_, err = gunzip(bad)
	require.Error(t, err) // gzip checks ISIZE
	require.False(t, errors.Is(err, ErrFormat), "gunzip errors are wrapped by the caller")
}

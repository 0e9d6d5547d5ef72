package data

import (
	"encoding/binary"
	"fmt"
)

// IDX type code of unsigned bytes, the only element type this package reads.
const idxUByte = 0x08

// maxIDXBytes bounds the payload an IDX header may announce (and the size a
// compressed file may expand to), so a corrupt header cannot demand an
// absurd allocation. MNIST's largest file holds 47,040,000 bytes.
const maxIDXBytes = 1 << 30

// IDX is a parsed IDX file (the format of the MNIST files, described at
// http://yann.lecun.com/exdb/mnist/) of unsigned bytes.
type IDX struct {
	Dims []int  // size of each dimension, outermost first
	Data []byte // the payload, row-major; len(Data) is the product of Dims
}

// ParseIDX parses an uncompressed IDX file of unsigned bytes. It checks every
// header field: the two zero bytes of the magic number, the type code (0x08,
// unsigned byte), the number of dimensions (at least 1), each dimension
// (at least 1), and that the payload holds exactly the announced number of
// bytes. The returned Data aliases b.
func ParseIDX(b []byte) (*IDX, error) {
	dims, payload, err := parseIDXHeader(b)
	if err != nil {
		return nil, fmt.Errorf("data: ParseIDX: %w: %s", ErrFormat, err)
	}
	want := product(dims)
	if len(payload) != want {
		return nil, fmt.Errorf("data: ParseIDX: %w: header says %v = %d bytes of data but the file has %d",
			ErrFormat, dims, want, len(payload))
	}
	return &IDX{Dims: dims, Data: payload}, nil
}

// idxError is a message about a malformed IDX file, wrapped by the caller
// with the file's name.
type idxError string

func (e idxError) Error() string { return string(e) }

func idxErrorf(format string, args ...any) error { return idxError(fmt.Sprintf(format, args...)) }

// parseIDXHeader validates the header of b and returns the dimensions and
// the bytes after the header, whose length it does not check.
func parseIDXHeader(b []byte) (dims []int, payload []byte, err error) {
	if len(b) < 4 {
		return nil, nil, idxErrorf("file is %d bytes long, too short for an IDX magic number (want at least 4)", len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, idxErrorf("magic number 0x%08X does not start with two zero bytes (not an IDX file)",
			binary.BigEndian.Uint32(b))
	}
	if b[2] != idxUByte {
		return nil, nil, idxErrorf("type code 0x%02X (want 0x%02X, unsigned byte)", b[2], idxUByte)
	}
	nd := int(b[3])
	if nd == 0 {
		return nil, nil, idxErrorf("header has 0 dimensions (want at least 1)")
	}
	hdr := 4 + 4*nd
	if len(b) < hdr {
		return nil, nil, idxErrorf("header of %d dimensions needs %d bytes but the file has %d", nd, hdr, len(b))
	}
	dims = make([]int, nd)
	total := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d == 0 {
			return nil, nil, idxErrorf("dimension %d is 0 (want at least 1)", i)
		}
		if uint64(total)*uint64(d) > maxIDXBytes {
			return nil, nil, idxErrorf("header announces more than %d bytes of data (dimension %d is %d)", maxIDXBytes, i, d)
		}
		dims[i] = int(d)
		total *= int(d)
	}
	return dims, b[hdr:], nil
}

func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/descent-ml/descent/graph"
)

// maxRank bounds a shape's length, so that a hostile header cannot make
// the reader hold tens of millions of dimensions. numpy allows 64.
const maxRank = 1024

// Read decodes the safetensors file at path. Errors about the contents are
// *FormatError values naming path.
func Read(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: Read: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: Read: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FormatError{Source: path, Reason: fmt.Sprintf("not a regular file (mode %v)", st.Mode()), Err: ErrFormat}
	}
	return decode(path, f, st.Size())
}

// Decode decodes a safetensors file of size bytes read from r.
func Decode(r io.ReaderAt, size int64) (*File, error) {
	return decode("Decode", r, size)
}

// DecodeBytes decodes a safetensors file held in b. The File does not
// alias b.
func DecodeBytes(b []byte) (*File, error) {
	return decode("DecodeBytes", bytes.NewReader(b), int64(len(b)))
}

// entry is one tensor's header entry.
type entry struct {
	name       string
	dtype      string
	dims       []uint64
	begin, end uint64
	n          uint64 // number of elements, set by validate
}

type decoder struct {
	src string
	r   io.ReaderAt
}

func (d *decoder) errf(format string, args ...any) error {
	return &FormatError{Source: d.src, Reason: fmt.Sprintf(format, args...), Err: ErrFormat}
}

func (d *decoder) tensorErrf(name, format string, args ...any) error {
	return &FormatError{Source: d.src, Tensor: name, HasTensor: true, Reason: fmt.Sprintf(format, args...), Err: ErrFormat}
}

func (d *decoder) jsonErr(err error) error {
	if errors.Is(err, io.EOF) {
		return d.errf("header is not valid JSON: it ends inside a value")
	}
	return d.errf("header is not valid JSON: %v", err)
}

// readAt fills p from offset off; a short read means a truncated file.
func (d *decoder) readAt(p []byte, off int64) error {
	n, err := d.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return d.errf("truncated: read %d of %d bytes at offset %d", n, len(p), off)
	}
	return fmt.Errorf("safetensors: %s: %w", d.src, err)
}

func decode(src string, r io.ReaderAt, size int64) (*File, error) {
	d := &decoder{src: src, r: r}
	if size < 8 {
		return nil, d.errf("file is %d bytes, too short for the 8-byte header length", size)
	}
	// Fail before allocating anything if r holds less than size claims.
	if err := d.readAt(make([]byte, 1), size-1); err != nil {
		return nil, err
	}
	var prefix [8]byte
	if err := d.readAt(prefix[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > MaxHeaderSize {
		return nil, d.errf("header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, d.errf("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	header := make([]byte, n)
	if err := d.readAt(header, 8); err != nil {
		return nil, err
	}
	entries, meta, err := d.parseHeader(header)
	if err != nil {
		return nil, err
	}
	bufStart := 8 + int64(n)
	order, err := d.validate(entries, uint64(size-bufStart))
	if err != nil {
		return nil, err
	}
	for _, e := range order {
		if e.dtype != "F32" && e.dtype != "F64" {
			return nil, &FormatError{Source: src, Tensor: e.name, HasTensor: true, Err: ErrUnsupported,
				Reason: fmt.Sprintf("dtype %s is valid safetensors, but descent reads only F32 and F64", e.dtype)}
		}
	}

	f := &File{
		Names:    make([]string, 0, len(order)),
		Tensors:  make(map[string]*graph.Tensor, len(order)),
		Infos:    make(map[string]Info, len(order)),
		Metadata: meta,
	}
	buf := make([]byte, chunkSize)
	for _, e := range order {
		shape := make([]int, len(e.dims))
		for i, dim := range e.dims {
			shape[i] = int(dim) // validate checked the range
		}
		f.Names = append(f.Names, e.name)
		f.Infos[e.name] = Info{DType: e.dtype, Shape: shape, Offsets: [2]int64{int64(e.begin), int64(e.end)}}
		if e.n == 0 {
			continue // graph.Tensor has no zero-size dimension
		}
		off := bufStart + int64(e.begin)
		var t *graph.Tensor
		if e.dtype == "F32" {
			vals := make([]float32, e.n)
			err = readFloats(d, off, buf, vals, 4, func(b []byte) float32 {
				return math.Float32frombits(binary.LittleEndian.Uint32(b))
			})
			if err == nil {
				t, err = graph.FromFloat32(vals, shape...)
			}
		} else {
			vals := make([]float64, e.n)
			err = readFloats(d, off, buf, vals, 8, func(b []byte) float64 {
				return math.Float64frombits(binary.LittleEndian.Uint64(b))
			})
			if err == nil {
				t, err = graph.FromFloat64(vals, shape...)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: %w", src, e.name, err)
		}
		f.Tensors[e.name] = t
	}
	return f, nil
}

// readFloats fills vals from the little-endian bytes at off, through buf.
func readFloats[T float32 | float64](d *decoder, off int64, buf []byte, vals []T, width int, get func([]byte) T) error {
	per := len(buf) / width
	for len(vals) > 0 {
		n := min(per, len(vals))
		b := buf[:n*width]
		if err := d.readAt(b, off); err != nil {
			return err
		}
		for i := range vals[:n] {
			vals[i] = get(b[i*width:])
		}
		vals = vals[n:]
		off += int64(len(b))
	}
	return nil
}

// parseHeader reads the JSON header strictly: one object, unique keys,
// each tensor entry with exactly one dtype, shape and data_offsets.
func (d *decoder) parseHeader(h []byte) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, d.errf("header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, d.errf("header does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{'
		return nil, nil, d.jsonErr(err)
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, d.jsonErr(err)
		}
		name, _ := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, d.errf("duplicate key %q in header", name)
		}
		seen[name] = true
		if name == metadataKey {
			if meta, err = d.parseMetadata(dec); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := d.parseEntry(dec, name)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, nil, d.jsonErr(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, d.jsonErr(err)
		}
		return nil, nil, d.errf("header has %s after its JSON object (want only space padding)", describe(tok))
	}
	return entries, meta, nil
}

func (d *decoder) parseMetadata(dec *json.Decoder) (map[string]string, error) {
	var raw map[string]*string
	if err := dec.Decode(&raw); err != nil {
		return nil, d.errf("%s is not a JSON object of strings: %v", metadataKey, err)
	}
	if raw == nil {
		return nil, nil // "__metadata__": null
	}
	meta := make(map[string]string, len(raw))
	for k, v := range raw {
		if v == nil {
			return nil, d.errf("%s: key %q is null (want a string)", metadataKey, k)
		}
		meta[k] = *v
	}
	return meta, nil
}

func (d *decoder) parseEntry(dec *json.Decoder, name string) (entry, error) {
	e := entry{name: name}
	tok, err := dec.Token()
	if err != nil {
		return e, d.jsonErr(err)
	}
	if tok != json.Delim('{') {
		return e, d.tensorErrf(name, "entry is %s (want a JSON object)", describe(tok))
	}
	seen := make(map[string]bool, 3)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return e, d.jsonErr(err)
		}
		key, _ := tok.(string)
		switch key {
		case "dtype", "shape", "data_offsets":
			if seen[key] {
				return e, d.tensorErrf(name, "duplicate field %q", key)
			}
			seen[key] = true
		}
		switch key {
		case "dtype":
			tok, err := dec.Token()
			if err != nil {
				return e, d.jsonErr(err)
			}
			s, ok := tok.(string)
			if !ok {
				return e, d.tensorErrf(name, "dtype is %s (want a string)", describe(tok))
			}
			e.dtype = s
		case "shape":
			if e.dims, err = d.uintArray(dec, name, key, maxRank); err != nil {
				return e, err
			}
			if e.dims == nil {
				e.dims = []uint64{}
			}
		case "data_offsets":
			offs, err := d.uintArray(dec, name, key, 2)
			if err != nil {
				return e, err
			}
			if len(offs) != 2 {
				return e, d.tensorErrf(name, "data_offsets has %d values (want 2)", len(offs))
			}
			e.begin, e.end = offs[0], offs[1]
		default: // unknown fields are ignored, as by the reference reader
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return e, d.jsonErr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return e, d.jsonErr(err)
	}
	for _, key := range []string{"dtype", "shape", "data_offsets"} {
		if !seen[key] {
			return e, d.tensorErrf(name, "entry has no %q", key)
		}
	}
	return e, nil
}

// uintArray reads a JSON array of at most limit integers in [0, 2^64).
func (d *decoder) uintArray(dec *json.Decoder, name, field string, limit int) ([]uint64, error) {
	bad := func(tok json.Token) error {
		return d.tensorErrf(name, "%s holds %s (want an array of non-negative integers)", field, describe(tok))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, d.jsonErr(err)
	}
	if tok != json.Delim('[') {
		return nil, bad(tok)
	}
	var out []uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, d.jsonErr(err)
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, bad(tok)
		}
		v, err := strconv.ParseUint(num.String(), 10, 64)
		if err != nil {
			return nil, bad(tok)
		}
		if len(out) == limit {
			return nil, d.tensorErrf(name, "%s has more than %d values", field, limit)
		}
		out = append(out, v)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, d.jsonErr(err)
	}
	return out, nil
}

// validate checks each entry against its dtype, shape and the buffer, then
// that the entries tile the buffer exactly. It returns them in buffer order.
func (d *decoder) validate(entries []entry, bufSize uint64) ([]entry, error) {
	for i := range entries {
		e := &entries[i]
		bitsPer, ok := dtypeBits(e.dtype)
		if !ok {
			return nil, d.tensorErrf(e.name, "unknown dtype %q", e.dtype)
		}
		if e.end < e.begin {
			return nil, d.tensorErrf(e.name, "data_offsets [%d %d] end before they begin", e.begin, e.end)
		}
		n, ok := numElements(e.dims)
		if !ok {
			return nil, d.tensorErrf(e.name, "shape %v overflows 64 bits", e.dims)
		}
		size, ok := byteSize(n, bitsPer)
		if !ok {
			return nil, d.tensorErrf(e.name, "shape %v of %s is not a whole number of bytes below 2^64", e.dims, e.dtype)
		}
		if e.end-e.begin != size {
			return nil, d.tensorErrf(e.name, "data_offsets [%d %d] but shape %v of %s needs %d bytes",
				e.begin, e.end, e.dims, e.dtype, size)
		}
		if e.end > bufSize {
			return nil, d.tensorErrf(e.name, "data_offsets [%d %d] exceed the %d-byte data buffer",
				e.begin, e.end, bufSize)
		}
		for _, dim := range e.dims {
			if dim > math.MaxInt {
				return nil, d.tensorErrf(e.name, "shape %v: dimension %d does not fit an int", e.dims, dim)
			}
		}
		e.n = n
	}
	order := slices.Clone(entries)
	slices.SortStableFunc(order, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	var at uint64
	prev := ""
	for _, e := range order {
		switch {
		case e.begin < at:
			return nil, d.tensorErrf(e.name, "data_offsets [%d %d] overlap tensor %q, which ends at %d",
				e.begin, e.end, prev, at)
		case e.begin > at:
			return nil, d.tensorErrf(e.name, "data_offsets [%d %d] leave bytes [%d %d) of the data buffer unused",
				e.begin, e.end, at, e.begin)
		}
		at, prev = e.end, e.name
	}
	if at != bufSize {
		return nil, d.errf("tensors cover %d of the %d bytes of the data buffer (want all, no trailing bytes)", at, bufSize)
	}
	return order, nil
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		if t == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return fmt.Sprintf("the string %q", t)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

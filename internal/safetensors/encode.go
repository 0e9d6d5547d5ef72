package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"unicode/utf8"

	"github.com/descent-ml/descent/graph"
)

// chunkSize is the size of the buffer tensors are converted through.
const chunkSize = 64 << 10

// Write stores tensors, in the order given, and metadata (may be nil) at
// path, atomically: it writes a temporary file in path's directory, syncs
// it, renames it over path and syncs the directory. On any error before
// the rename the temporary file is removed and a previous file at path is
// left as it was. A new file gets mode 0644; a replaced one keeps its mode.
func Write(path string, tensors []Named, metadata map[string]string) error {
	return write(path, os.CreateTemp, tensors, metadata)
}

// write is Write with the temporary file made by create.
func write(path string, create func(dir, pattern string) (*os.File, error), tensors []Named, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: Write: %s: %w", path, err)
	}
	err = writeAtomic(path, create, func(w io.Writer) error { return encodeBody(w, header, tensors) })
	if err != nil {
		return fmt.Errorf("safetensors: Write: %w", err)
	}
	return nil
}

// Encode writes tensors, in the order given, and metadata (may be nil) to
// w as a safetensors file. It validates everything before the first write.
func Encode(w io.Writer, tensors []Named, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: Encode: %w", err)
	}
	if err := encodeBody(w, header, tensors); err != nil {
		return fmt.Errorf("safetensors: Encode: %w", err)
	}
	return nil
}

// encodeHeader validates the input and returns the length prefix and the
// space-padded JSON header.
func encodeHeader(tensors []Named, metadata map[string]string) ([]byte, error) {
	var h bytes.Buffer
	h.Write(make([]byte, 8)) // length prefix, filled in below
	h.WriteByte('{')
	if len(metadata) > 0 {
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("%w: metadata %q: %q is not valid UTF-8", ErrFormat, k, v)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		h.WriteString(`"` + metadataKey + `":{`)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var offset uint64
	for i, nt := range tensors {
		dtype, size, err := checkNamed(nt, seen)
		if err != nil {
			return nil, err
		}
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		writeJSONString(&h, nt.Name)
		h.WriteString(`:{"dtype":"` + dtype + `","shape":[`)
		for j, d := range nt.T.Shape() {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		h.WriteString(`],"data_offsets":[`)
		h.WriteString(strconv.FormatUint(offset, 10))
		h.WriteByte(',')
		offset += size
		h.WriteString(strconv.FormatUint(offset, 10))
		h.WriteString("]}")
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	b := h.Bytes()
	n := uint64(len(b) - 8)
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("%w: header is %d bytes (limit %d)", ErrFormat, n, MaxHeaderSize)
	}
	binary.LittleEndian.PutUint64(b, n)
	return b, nil
}

// checkNamed validates one tensor to write and returns its safetensors
// dtype and its size in bytes.
func checkNamed(nt Named, seen map[string]bool) (dtype string, size uint64, err error) {
	switch {
	case nt.Name == "":
		return "", 0, fmt.Errorf("%w: empty tensor name", graph.ErrName)
	case nt.Name == metadataKey:
		return "", 0, fmt.Errorf("%w: tensor name %q is reserved for metadata", graph.ErrName, nt.Name)
	case !utf8.ValidString(nt.Name):
		return "", 0, fmt.Errorf("%w: tensor name %q is not valid UTF-8", graph.ErrName, nt.Name)
	case seen[nt.Name]:
		return "", 0, fmt.Errorf("%w: duplicate tensor name %q", graph.ErrName, nt.Name)
	case nt.T == nil:
		return "", 0, fmt.Errorf("%w: tensor %q is nil", graph.ErrDType, nt.Name)
	}
	seen[nt.Name] = true
	var have int
	switch nt.T.DType() {
	case graph.Float32:
		dtype, have = "F32", nt.T.Len()
	case graph.Float64:
		dtype, have = "F64", nt.T.Len()
	default:
		return "", 0, fmt.Errorf("%w: tensor %q: dtype %v (want float32 or float64; checkpoints hold no labels)",
			graph.ErrDType, nt.Name, nt.T.DType())
	}
	dims := make([]uint64, len(nt.T.Shape()))
	for i, d := range nt.T.Shape() {
		if d < 0 {
			return "", 0, fmt.Errorf("%w: tensor %q: shape %v has a negative dimension", graph.ErrShape, nt.Name, nt.T.Shape())
		}
		dims[i] = uint64(d)
	}
	n, ok := numElements(dims)
	if !ok || n != uint64(have) {
		return "", 0, fmt.Errorf("%w: tensor %q: %d values for shape %v", graph.ErrShape, nt.Name, have, nt.T.Shape())
	}
	bitsPer, _ := dtypeBits(dtype)
	return dtype, n * bitsPer / 8, nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // cannot fail for a string; writes a trailing newline
	b.Truncate(b.Len() - 1)
}

// encodeBody writes the prepared header and the tensors' data to w.
func encodeBody(w io.Writer, header []byte, tensors []Named) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	buf := make([]byte, chunkSize)
	for _, nt := range tensors {
		var err error
		switch nt.T.DType() {
		case graph.Float32:
			v, _ := nt.T.Float32s() // checked by the switch
			err = writeFloats(w, buf, v, 4, func(b []byte, v float32) {
				binary.LittleEndian.PutUint32(b, math.Float32bits(v))
			})
		default:
			v, _ := nt.T.Float64s() // float64: checked before writing
			err = writeFloats(w, buf, v, 8, func(b []byte, v float64) {
				binary.LittleEndian.PutUint64(b, math.Float64bits(v))
			})
		}
		if err != nil {
			return fmt.Errorf("tensor %q: %w", nt.Name, err)
		}
	}
	return nil
}

// writeFloats writes vals little-endian through buf, width bytes each.
func writeFloats[T float32 | float64](w io.Writer, buf []byte, vals []T, width int, put func([]byte, T)) error {
	per := len(buf) / width
	for len(vals) > 0 {
		n := min(per, len(vals))
		for i, v := range vals[:n] {
			put(buf[i*width:], v)
		}
		if _, err := w.Write(buf[:n*width]); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

// writeAtomic replaces path with what fill writes, through a synced
// temporary file in the same directory, made by create (os.CreateTemp;
// tests inject its failures), and a rename.
func writeAtomic(path string, create func(dir, pattern string) (*os.File, error), fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	perm := os.FileMode(0o644)
	if st, statErr := os.Stat(path); statErr == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
	}
	f, err := create(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = f.Close() // may already be closed; the first error is the one to report
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		// The new file is in place; only the rename's durability is in doubt.
		return fmt.Errorf("%s: renamed, but syncing the directory failed: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Where the OS or file system
// cannot sync a directory (Windows, some network file systems) it does
// nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	_ = d.Close()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) &&
		!errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

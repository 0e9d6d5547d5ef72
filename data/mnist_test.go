package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/stretchr/testify/require"
)

// tinyMNIST returns the four files of an MNIST-format set with 3 training
// and 2 test images, keyed by base name (uncompressed).
func tinyMNIST() map[string][]byte {
	img := func(n int) []byte {
		p := make([]byte, n*MNISTFeatures)
		for i := range p {
			p[i] = byte(i % 256)
		}
		return idxFile(mnistImageMagic, []uint32{uint32(n), 28, 28}, p)
	}
	return map[string][]byte{
		mnistTrainImages: img(3),
		mnistTrainLabels: idxFile(mnistLabelMagic, []uint32{3}, []byte{5, 0, 9}),
		mnistTestImages:  img(2),
		mnistTestLabels:  idxFile(mnistLabelMagic, []uint32{2}, []byte{7, 2}),
	}
}

// writeMNIST writes files into a new temp dir, gzipped with a .gz suffix
// when gz is set.
func writeMNIST(t *testing.T, files map[string][]byte, gz bool) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if gz {
			name, b = name+".gz", gzipBytes(t, b)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

func TestLoadMNISTFromDir(t *testing.T) {
	for _, tt := range []struct {
		name string
		gz   bool
		dt   graph.DType
	}{
		{"gzip float32", true, graph.Float32},
		{"raw float64", false, graph.Float64},
		{"gzip default dtype", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeMNIST(t, tinyMNIST(), tt.gz)
			train, test, err := LoadMNIST(MNISTConfig{Dir: dir, DType: tt.dt})
			require.NoError(t, err)
			wantDT := tt.dt
			if wantDT == 0 {
				wantDT = graph.Float32
			}
			require.Equal(t, graph.Shape{3, 784}, train.X.Shape())
			require.Equal(t, graph.Shape{2, 784}, test.X.Shape())
			require.Equal(t, wantDT, train.X.DType())
			require.Equal(t, []int{5, 0, 9}, intsOf(t, train.Y))
			require.Equal(t, []int{7, 2}, intsOf(t, test.Y))
			require.Equal(t, 10, train.Classes)
			require.NoError(t, train.Validate())
			// Pixel k holds k mod 256: scaled by 1/255.
			require.InDelta(t, 0.0, train.X.At(0), 0)
			require.InDelta(t, 1.0, train.X.At(255), 0)
			require.InDelta(t, float64((784+17)%256)/255, train.X.At(784+17), 1e-7)
		})
	}

	t.Run("module root with data subfolder", func(t *testing.T) {
		root := t.TempDir()
		sub := writeMNIST(t, tinyMNIST(), true)
		require.NoError(t, os.Rename(sub, filepath.Join(root, "data")))
		train, _, err := LoadMNIST(MNISTConfig{Dir: root})
		require.NoError(t, err)
		require.Equal(t, 3, train.Len())
	})
}

func TestLoadMNISTCorrupt(t *testing.T) {
	withPixels := func(n int, pixels int) []byte {
		return idxFile(mnistImageMagic, []uint32{uint32(n), 28, 28}, make([]byte, pixels))
	}
	tests := []struct {
		name    string
		file    string // the file replaced (base name)
		content []byte
		raw     bool // write content as is, not gzipped
		wantMsg string
	}{
		{"bad image magic", mnistTrainImages, idxFile(0x804, []uint32{3, 28, 28, 1}, make([]byte, 3*784)), false,
			"magic number 0x00000804 (want 0x00000803 for an image file)"},
		{"labels given as images", mnistTrainImages, idxFile(mnistLabelMagic, []uint32{3}, []byte{1, 2, 3}), false,
			"magic number 0x00000801 (want 0x00000803 for an image file)"},
		{"bad label magic", mnistTrainLabels, idxFile(0x1801, []uint32{3}, []byte{1, 2, 3}), false,
			"magic number 0x00001801 (want 0x00000801 for a label file)"},
		{"truncated header", mnistTrainImages, idxFile(mnistImageMagic, []uint32{3, 28}, nil), false,
			"header of 3 dimensions needs 16 bytes but the file has 12"},
		{"truncated magic", mnistTestLabels, []byte{0, 0}, false, "2 bytes long, too short"},
		{"truncated payload", mnistTrainImages, withPixels(60000, 1234*784+100), false,
			"header says 60000 images of 28x28 but the file ends after 1234 of them"},
		{"trailing bytes", mnistTrainImages, withPixels(3, 3*784+5), false,
			"header says 3 images of 28x28 but the file has 5 bytes after them"},
		{"wrong image size", mnistTestImages, idxFile(mnistImageMagic, []uint32{2, 32, 32}, make([]byte, 2*1024)), false,
			"images are 32x32 (want 28x28)"},
		{"truncated labels", mnistTrainLabels, idxFile(mnistLabelMagic, []uint32{3}, []byte{1}), false,
			"header says 3 labels but the file ends after 1 of them"},
		{"trailing labels", mnistTrainLabels, idxFile(mnistLabelMagic, []uint32{3}, []byte{1, 2, 3, 4}), false,
			"header says 3 labels but the file has 1 bytes after them"},
		{"label out of range", mnistTrainLabels, idxFile(mnistLabelMagic, []uint32{3}, []byte{1, 10, 3}), false,
			"label 10 at index 1 is out of range (want 0..9)"},
		{"count mismatch", mnistTrainLabels, idxFile(mnistLabelMagic, []uint32{2}, []byte{1, 2}), false,
			"2 labels but train-images-idx3-ubyte.gz has 3 images"},
		{"bad gzip", mnistTrainImages, []byte("this is not gzip data"), true, "not a valid gzip file"},
		{"truncated gzip", mnistTrainLabels, nil, true, "gzip stream is truncated"},
		{"wrong type code", mnistTestLabels, idxFile(0x0901, []uint32{2}, []byte{1, 2}), false,
			"magic number 0x00000901 (want 0x00000801 for a label file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeMNIST(t, tinyMNIST(), true)
			content := tt.content
			if !tt.raw {
				content = gzipBytes(t, content)
			}
			if tt.name == "truncated gzip" {
				z := gzipBytes(t, tinyMNIST()[tt.file])
				content = z[:len(z)-10]
			}
			path := filepath.Join(dir, tt.file+".gz")
			require.NoError(t, os.WriteFile(path, content, 0o644))

			_, _, err := LoadMNIST(MNISTConfig{Dir: dir})
			require.Error(t, err)
			require.ErrorIs(t, err, ErrFormat)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "MNIST", fe.Format)
			require.Contains(t, err.Error(), "data: MNIST: "+dir)
			require.Contains(t, err.Error(), tt.wantMsg)
			if tt.name != "count mismatch" {
				require.Equal(t, path, fe.Path)
			}
		})
	}
}

func TestLoadMNISTMissingFile(t *testing.T) {
	files := tinyMNIST()
	delete(files, mnistTestLabels)
	dir := writeMNIST(t, files, true)
	_, _, err := LoadMNIST(MNISTConfig{Dir: dir})
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "t10k-labels-idx1-ubyte.gz: neither it nor t10k-labels-idx1-ubyte exists")

	_, _, err = LoadMNIST(MNISTConfig{Dir: dir, DType: graph.Int})
	require.ErrorIs(t, err, ErrInvalid)
}

// noMNIST skips a test when the MNIST module is not in the module cache,
// except in CI (CI set), where `go vet ./...` has downloaded it: there its
// absence is a failure, not a reason to check nothing.
func noMNIST(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("MNIST module not in the module cache, and CI is set: %v", err)
	}
	t.Skipf("MNIST module not in the module cache: %v", err)
}

// realMNIST loads the full MNIST from the module cache, or skips (fails
// in CI).
func realMNIST(t testing.TB, dt graph.DType) (train, test *Dataset) {
	t.Helper()
	dir, err := FindMNIST()
	if errors.Is(err, ErrNotFound) {
		noMNIST(t, err)
	}
	require.NoError(t, err)
	train, test, err = LoadMNIST(MNISTConfig{Dir: dir, DType: dt})
	require.NoError(t, err)
	return train, test
}

func TestLoadMNISTReal(t *testing.T) {
	train, test := realMNIST(t, graph.Float32)
	require.Equal(t, graph.Shape{60000, 784}, train.X.Shape())
	require.Equal(t, graph.Shape{10000, 784}, test.X.Shape())
	// The first labels of each file, as published.
	require.Equal(t, []int{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, intsOf(t, train.Y)[:10])
	require.Equal(t, []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, intsOf(t, test.Y)[:10])
	require.NoError(t, train.Validate())
	require.NoError(t, test.Validate())
	px := f32Of(t, train.X)
	require.Equal(t, float32(0), slices.Min(px))
	require.Equal(t, float32(1), slices.Max(px))
	// Class counts of the training set (sum 60000; 1 is the most frequent).
	counts := make([]int, 10)
	for _, l := range intsOf(t, train.Y) {
		counts[l]++
	}
	require.Equal(t, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, counts)
}

func BenchmarkLoadMNIST(b *testing.B) {
	dir, err := FindMNIST()
	if errors.Is(err, ErrNotFound) {
		noMNIST(b, err)
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, dt := range []graph.DType{graph.Float32, graph.Float64} {
		b.Run(dt.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := LoadMNIST(MNISTConfig{Dir: dir, DType: dt}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package safetensors

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// requireOnly checks that dir holds exactly the named entries: no
// temporary file was left behind.
func requireOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}

// oldCheckpoint writes a first version of path and returns its bytes.
func oldCheckpoint(t *testing.T, path string) []byte {
	t.Helper()
	require.NoError(t, Write(path, []Named{{"w", f32(t, []float32{1, 2}, 2)}}, map[string]string{"v": "1"}))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	return old
}

func TestWriteFailureMidWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := oldCheckpoint(t, path)

	// Fail after part of the new file has reached the temporary file.
	err := writeAtomic(path, os.CreateTemp, func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 3<<20)); err != nil { // past the 1 MiB buffer
			return err
		}
		return errInjected
	})
	require.ErrorIs(t, err, errInjected)

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, got, "old checkpoint was modified")
	requireOnly(t, dir, "ckpt.safetensors")
}

func TestWriteInvalidTensorKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := oldCheckpoint(t, path)
	labels, err := graph.FromInts([]int{1}, 1)
	require.NoError(t, err)

	err = Write(path, []Named{{"w", f32(t, []float32{3, 4}, 2)}, {"labels", labels}}, nil)
	require.ErrorIs(t, err, graph.ErrDType)
	require.Contains(t, err.Error(), "safetensors: Write: "+path+`: dtype mismatch: tensor "labels": dtype int`)

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, got)
	requireOnly(t, dir, "ckpt.safetensors")
}

// The rename itself fails (the target is a non-empty directory) after the
// temporary file was fully written and synced.
func TestWriteFailedRenameRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt.safetensors")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), []byte("x"), 0o644))

	err := Write(target, []Named{{"w", f32(t, []float32{1}, 1)}}, nil)
	require.Error(t, err)
	requireOnly(t, dir, "ckpt.safetensors")
	requireOnly(t, target, "keep")
}

// A folder the process may not write to: the error wraps
// os.ErrPermission, the old file is kept and no temporary file is left.
// Root ignores directory permissions, so there (CI and the developer
// machines run as root) the refusal is injected where the OS would give
// it, at the creation of the temporary file.
func TestWriteReadOnlyDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := oldCheckpoint(t, path)
	want := []Named{{"w", f32(t, []float32{3, 4}, 2)}}
	var err error
	if os.Geteuid() == 0 {
		created := 0
		refuse := func(dir, pattern string) (*os.File, error) {
			created++
			return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir, pattern), Err: syscall.EACCES}
		}
		err = write(path, refuse, want, nil)
		require.Equal(t, 1, created)
	} else {
		require.NoError(t, os.Chmod(dir, 0o555))
		t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
		err = Write(path, want, nil)
	}
	require.ErrorIs(t, err, os.ErrPermission)
	require.ErrorContains(t, err, "safetensors: Write: open "+filepath.Join(dir, ".ckpt.safetensors.tmp-"), "the error names the file it could not create")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, got)
	requireOnly(t, dir, "ckpt.safetensors")
}

func TestWriteMissingDir(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "no", "such", "ckpt.safetensors"), nil, nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestWriteReplacesAndKeepsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	oldCheckpoint(t, path)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "new file mode")

	require.NoError(t, os.Chmod(path, 0o600))
	want := []Named{{"w", f32(t, []float32{5, 6, 7}, 3)}}
	require.NoError(t, Write(path, want, nil))
	st, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "replaced file keeps its mode")

	got, err := Read(path)
	require.NoError(t, err)
	requireSame(t, want, got)
	require.Nil(t, got.Metadata)
	requireOnly(t, dir, "ckpt.safetensors")
}

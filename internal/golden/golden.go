// Package golden reads the PyTorch golden vectors (../shared/golden, or
// $DESCENT_GOLDEN_DIR): the folder's README defines the formats. Its tests
// replay the end-to-end training cases (train_*.json) through descent's
// models, ops and optimizers.
package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
)

// EnvDir is the environment variable that overrides the golden folder.
const EnvDir = "DESCENT_GOLDEN_DIR"

// Dir returns $DESCENT_GOLDEN_DIR, or ../shared/golden next to the
// repository root (the folder holding go.mod) found from the working dir.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "golden"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("golden: no go.mod above %s", wd)
		}
	}
}

// Files returns the paths of the JSON files in dir whose names start with
// prefix, sorted.
func Files(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Name is a case's subtest name: the file name without .json.
func Name(path string) string { return strings.TrimSuffix(filepath.Base(path), ".json") }

// Array is a tensor as stored: {"shape": [...], "data": [...]} or a bare
// JSON array (a vector).
type Array struct {
	Shape []int
	Data  []float64
}

// UnmarshalJSON accepts both forms.
func (a *Array) UnmarshalJSON(b []byte) error {
	var bare []float64
	if err := json.Unmarshal(b, &bare); err == nil {
		a.Data, a.Shape = bare, []int{len(bare)}
		return nil
	}
	var full struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	}
	if err := json.Unmarshal(b, &full); err != nil {
		return err
	}
	a.Shape, a.Data = full.Shape, full.Data
	return nil
}

// Tensor converts a to dtype dt (float32 cases hold exactly representable values).
func (a Array) Tensor(dt graph.DType) (*graph.Tensor, error) {
	return graph.FromFloat64s(dt, a.Data, a.Shape...)
}

// Tol returns the README's tolerance for a case's dtype.
func Tol(dtype string) float64 {
	if dtype == "float32" {
		return 1e-4
	}
	return 1e-9
}

// DType parses a case's dtype.
func DType(s string) (graph.DType, error) { return graph.ParseDType(s) }

// Close reports whether |got - want| <= tol + tol*|want|.
func Close(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol+tol*math.Abs(want)
}

// Compare returns an error naming the first element of got that is not
// Close to want.
func Compare(what string, got, want []float64, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d values (want %d)", what, len(got), len(want))
	}
	for i := range got {
		if !Close(got[i], want[i], tol) {
			return fmt.Errorf("%s[%d] = %.17g (want %.17g, tol %g)", what, i, got[i], want[i], tol)
		}
	}
	return nil
}

// EnvSkip, set to 1, skips the golden replays deliberately. Without it a
// missing or empty golden folder fails every golden test: a replay that
// finds nothing must not pass.
const EnvSkip = "DESCENT_SKIP_GOLDEN"

// Kinds are the file-name prefixes of the case kinds the README defines.
var Kinds = []string{"optim_", "bn_", "train_", "module_"}

// Replay is one golden test's pass over the cases of one kind.
type Replay struct {
	Dir         string
	Prefix      string
	Files       []string
	replayed    int
	unsupported []string
}

// Open finds the cases whose file names start with prefix. It skips t
// when $DESCENT_SKIP_GOLDEN is 1, and fails it when the folder is missing
// or holds no case of any kind. A folder with cases of other kinds only
// gives an empty Files (DESCENT_GOLDEN_DIR may hold one kind). When t
// ends, a line "golden-count: kind=<prefix> files=N replayed=R
// unsupported=U [names]" is logged: .ci/run checks those counts against
// the folder.
func Open(t *testing.T, prefix string) *Replay {
	t.Helper()
	dir, _ := Folder(t)
	files, err := Files(dir, prefix)
	if err != nil {
		t.Fatal(err)
	}
	r := &Replay{Dir: dir, Prefix: prefix, Files: files}
	t.Cleanup(func() {
		t.Logf("golden-count: kind=%s files=%d replayed=%d unsupported=%d %v", prefix, len(files), r.replayed, len(r.unsupported), r.unsupported)
	})
	return r
}

// Folder returns the golden folder and every case file in it. It skips t
// when $DESCENT_SKIP_GOLDEN is 1 and fails it when the folder is missing
// or holds no case.
func Folder(t *testing.T) (string, []string) {
	t.Helper()
	if os.Getenv(EnvSkip) == "1" {
		t.Skipf("%s=1: golden replays skipped deliberately", EnvSkip)
	}
	dir, err := Dir()
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	all, err := Files(dir, "")
	if err != nil {
		t.Fatalf("golden: the golden folder %s cannot be read (%v): set %s to the folder of PyTorch golden vectors, or %s=1 to skip them deliberately", dir, err, EnvDir, EnvSkip)
	}
	if len(all) == 0 {
		t.Fatalf("golden: no *.json case in %s: set %s to the folder of PyTorch golden vectors, or %s=1 to skip them deliberately", dir, EnvDir, EnvSkip)
	}
	return dir, all
}

// Run replays one case file as the subtest named after it. A case that
// fn marks Unsupported counts as unsupported; one that passes, as replayed.
func (r *Replay) Run(t *testing.T, file string, fn func(t *testing.T, file string)) {
	t.Helper()
	name := Name(file)
	unsupported := false
	ok := t.Run(name, func(t *testing.T) {
		defer func() {
			if t.Skipped() {
				unsupported = true
			}
		}()
		fn(t, file)
	})
	switch {
	case unsupported:
		r.unsupported = append(r.unsupported, name)
	case ok:
		r.replayed++
	}
}

// Unsupported ends a case that descent cannot replay yet, naming it and
// what is missing in the test output.
func Unsupported(t *testing.T, what string) {
	t.Helper()
	t.Skipf("golden: NOT YET SUPPORTED: %s: %s", t.Name(), what)
}

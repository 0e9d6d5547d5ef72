package optbench

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func fakeRecord(seed uint64, loss float64) *Record {
	t := Trial{Problem: "p", Budget: Budget{Steps: 3}, Optimizer: "o", Hyper: Setting{"lr": 0.1}, Seed: seed, Version: CodeVersion}
	nan := Num(math.NaN())
	return &Record{Key: t.Key(), Trial: t, Outcome: Outcome{Steps: 3, StepsToTarget: -1, Diverged: math.IsInf(loss, 0), DivergedAt: 2,
		Curve: []Point{{Step: 0, TrainLoss: nan, ValidLoss: Num(loss), ValidAcc: nan, TestLoss: Num(loss / 3), TestAcc: nan}}},
		Timing: Timing{CPUSeconds: 1.5, SGDStepSeconds: 0.5}}
}

func TestStoreRoundTrip(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	recs := []*Record{fakeRecord(1, 0.1), fakeRecord(2, math.Inf(1)), fakeRecord(3, 1.0/3)}
	for _, r := range recs {
		require.NoError(t, st.Put(r))
	}
	got, err := st.Load()
	require.NoError(t, err)
	require.Len(t, got, 3)
	for _, r := range recs {
		g := got[r.Key]
		require.NotNil(t, g)
		require.Equal(t, outcomes(t, Results{r.Key: r}), outcomes(t, Results{r.Key: g}), "bit-identical after a round trip")
		require.Equal(t, r.Timing, g.Timing)
	}
	one, err := st.Get(recs[0].Key)
	require.NoError(t, err)
	require.Equal(t, recs[0].Key, one.Key)
	none, err := st.Get(fakeRecord(9, 1).Key)
	require.NoError(t, err)
	require.Nil(t, none)
	_, err = st.Get("../x")
	require.Error(t, err)

	bad := *recs[0]
	bad.Key = recs[1].Key
	require.ErrorContains(t, st.Put(&bad), "is not its trial's")
}

// TestStoreConcurrentWriters: many goroutines writing the same and
// different trials at once leave a store that loads, with no temporary
// file left and every trial complete.
func TestStoreConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st, err := OpenStore(dir) // each writer its own handle, as separate processes
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < 40; i++ {
				if err := st.Put(fakeRecord(uint64(i%10), float64(i%10))); err != nil { // each key written by all 8 writers, 4 times
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	st, err := OpenStore(dir)
	require.NoError(t, err)
	got, err := st.Load()
	require.NoError(t, err)
	require.Len(t, got, 10)
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		require.NotContains(t, filepath.Base(path), ".tmp-", "a temporary file was left behind")
		return err
	})
	require.NoError(t, err)
}

// TestStoreIgnoresPartialWrites: a temporary file (a write interrupted
// before its rename) is not a trial; a corrupt trial file is an error
// naming it.
func TestStoreIgnoresPartialWrites(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	require.NoError(t, err)
	r := fakeRecord(1, 2)
	require.NoError(t, st.Put(r))
	folder := filepath.Dir(st.path(r.Key))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "."+r.Key+".json.tmp-1-2"), []byte(`{"key": "trunc`), 0o644))
	got, err := st.Load()
	require.NoError(t, err)
	require.Len(t, got, 1)
	corrupt := st.path(fakeRecord(2, 2).Key)
	require.NoError(t, os.MkdirAll(filepath.Dir(corrupt), 0o755))
	require.NoError(t, os.WriteFile(corrupt, []byte(`{"key": "trunc`), 0o644))
	_, err = st.Load()
	require.ErrorContains(t, err, fakeRecord(2, 2).Key+".json")
}

func TestStoreSweep(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	require.NoError(t, err)
	_, err = st.ReadSweep()
	require.ErrorContains(t, err, "run \"plan\" first")
	sw := tinySweep(true)
	require.NoError(t, st.WriteSweep(sw))
	back, err := st.ReadSweep()
	require.NoError(t, err)
	require.Equal(t, sw, back)
}

// TestTrialKey: every field of the configuration changes the key.
func TestTrialKey(t *testing.T) {
	base := Trial{Problem: "p", Budget: Budget{Epochs: 2}, Optimizer: "adam", Hyper: Setting{"lr": 0.1, "beta1": 0.9}, Seed: 1, Version: "v"}
	keys := map[string]bool{base.Key(): true}
	for _, edit := range []func(*Trial){
		func(t *Trial) { t.Problem = "q" },
		func(t *Trial) { t.Budget = Budget{Epochs: 3} },
		func(t *Trial) { t.Budget = Budget{Steps: 2} },
		func(t *Trial) { t.Optimizer = "adamw" },
		func(t *Trial) { t.Hyper = Setting{"lr": 0.1, "beta1": 0.95} },
		func(t *Trial) { t.Hyper = Setting{"lr": 0.1, "beta2": 0.9} },
		func(t *Trial) { t.Seed = 2 },
		func(t *Trial) { t.StopAtTarget = true },
		func(t *Trial) { t.Version = "w" },
	} {
		c := base
		c.Hyper = base.Hyper.Clone()
		edit(&c)
		k := c.Key()
		require.False(t, keys[k], "%+v has another trial's key", c)
		keys[k] = true
	}
	same := base
	same.Hyper = Setting{"beta1": 0.9, "lr": 0.1}
	require.Equal(t, base.Key(), same.Key(), "the key does not depend on map order")
}

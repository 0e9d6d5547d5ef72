package optbench

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Store keeps one file per finished trial under DIR/trials/<key[:2]>/<key>.json,
// written to a temporary file in the same folder, synced and renamed into
// place: a reader sees a trial completely or not at all, concurrent
// writers (workers, SLURM tasks on a shared file system) never corrupt it,
// and an interrupted run loses at most the trials it was running. A trial
// found in the store is not run again. DIR/sweep.json holds the sweep that
// "plan" fixed, for "run" and "merge" to read.
type Store struct {
	dir string
}

// OpenStore opens (creating if needed) the store in dir.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: no folder given")
	}
	if err := os.MkdirAll(filepath.Join(dir, "trials"), 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(key string) string {
	return filepath.Join(s.dir, "trials", key[:2], key+".json")
}

// writeAtomic writes b to path through a temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp-%d-%x", filepath.Base(path), os.Getpid(), rand.Uint64()))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// Put writes a finished trial.
func (s *Store) Put(r *Record) error {
	if r.Key != r.Trial.Key() {
		return fmt.Errorf("store: Put: record key %s is not its trial's (%s)", r.Key, r.Trial.Key())
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("store: Put %s: %w", r.Key, err)
	}
	if err := writeAtomic(s.path(r.Key), append(b, '\n')); err != nil {
		return fmt.Errorf("store: Put %s: %w", r.Key, err)
	}
	return nil
}

// Get returns the trial with this key, or nil if the store has none.
func (s *Store) Get(key string) (*Record, error) {
	if len(key) < 2 || strings.ContainsAny(key, "/\\.") {
		return nil, fmt.Errorf("store: bad key %q", key)
	}
	return readRecord(s.path(key))
}

func readRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if r.Key != r.Trial.Key() || filepath.Base(path) != r.Key+".json" {
		return nil, fmt.Errorf("store: %s: holds trial %s whose key is %s", path, r.Key, r.Trial.Key())
	}
	return &r, nil
}

// Load returns every trial in the store (temporary files of writes in
// progress are not trials and are skipped).
func (s *Store) Load() (Results, error) {
	out := Results{}
	err := filepath.WalkDir(filepath.Join(s.dir, "trials"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		r, err := readRecord(path)
		if err != nil {
			return err
		}
		if r != nil {
			out[r.Key] = r
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: Load: %w", err)
	}
	return out, nil
}

const sweepFile = "sweep.json"

// WriteSweep fixes the sweep that "run" and "merge" use.
func (s *Store) WriteSweep(sw Sweep) error {
	b, err := json.MarshalIndent(sw, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(s.dir, sweepFile), append(b, '\n'))
}

// ReadSweep returns the sweep WriteSweep fixed.
func (s *Store) ReadSweep() (Sweep, error) {
	sw, err := ReadSweep(filepath.Join(s.dir, sweepFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Sweep{}, fmt.Errorf("store %s has no %s (run \"plan\" first, or pass the sweep's flags)", s.dir, sweepFile)
	}
	return sw, err
}

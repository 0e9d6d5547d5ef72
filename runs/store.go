package runs

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/descent-ml/descent/internal/blas"
	"github.com/descent-ml/descent/train"
)

// Statuses of a run.
const (
	Running     = "running"
	Finished    = "finished"
	Interrupted = "interrupted" // Ctrl-C or SIGTERM
	Failed      = "failed"      // an error, recorded in Record.Error
	Lost        = "lost"        // still "running" but its process is gone (killed)
)

// ErrNotFound: no run with that ID in the store.
var ErrNotFound = errors.New("no such run")

// Record is one run: what it was asked to do, where, and what came of it.
type Record struct {
	ID        string             `json:"id"`
	Kind      string             `json:"kind"` // train, cv, bench
	Status    string             `json:"status"`
	Error     string             `json:"error,omitempty"`
	Start     time.Time          `json:"start"`
	End       time.Time          `json:"end,omitzero"`
	Command   []string           `json:"command"`
	Config    map[string]string  `json:"config"` // every flag's value
	Model     string             `json:"model,omitempty"`
	Optimizer string             `json:"optimizer,omitempty"`
	Data      string             `json:"data,omitempty"`
	Version   string             `json:"version"`
	Machine   Machine            `json:"machine"`
	Results   map[string]float64 `json:"results,omitempty"`   // final metrics: test_loss, test_accuracy, ...
	Artifacts map[string]string  `json:"artifacts,omitempty"` // checkpoint, plot, metrics file, ...
	PID       int                `json:"pid"`
}

// Machine describes where a run ran.
type Machine struct {
	Host       string `json:"host"`
	OS         string `json:"os"`
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Backend    string `json:"backend"` // the BLAS backend of the matrix products
	Go         string `json:"go"`
}

// ThisMachine describes the running machine.
func ThisMachine() Machine {
	host, _ := os.Hostname()
	return Machine{Host: host, OS: runtime.GOOS + "/" + runtime.GOARCH, CPU: cpuModel(), Cores: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Backend: blas.Name(), Go: runtime.Version()}
}

// cpuModel reads the CPU's name (Linux), or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Version is the code version: the module version, the VCS revision and
// whether the tree was modified, when the binary records them.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return v + " " + rev + dirty
	}
	return v
}

// Store is a folder of runs, one subfolder per run (record.json and
// epochs.jsonl). Every write is atomic (a temporary file renamed into
// place, or one append of a whole line), so runs in parallel processes,
// bench workers among them, never corrupt it.
type Store struct{ Dir string }

// Open returns the store in dir, creating the folder.
func Open(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("runs: Open: no folder")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runs: Open: %w", err)
	}
	return &Store{Dir: dir}, nil
}

// Run is a run being recorded.
type Run struct {
	store *Store
	rec   Record
	dir   string
}

// Begin records the start of a run: rec's Kind, Command, Config and the
// model, optimizer and data it names; the ID, the start time, the code
// version, the machine and the status are filled in.
func (s *Store) Begin(rec Record) (*Run, error) {
	rec.Start = time.Now().UTC()
	rec.Status, rec.Version, rec.Machine, rec.PID = Running, Version(), ThisMachine(), os.Getpid()
	for i := 0; ; i++ {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("runs: Begin: %w", err)
		}
		rec.ID = fmt.Sprintf("%s-%s-%s", rec.Start.Format("20060102-150405"), rec.Kind, hex.EncodeToString(b[:]))
		dir := filepath.Join(s.Dir, rec.ID)
		err := os.Mkdir(dir, 0o755) // claims the ID: fails if another run took it
		if err == nil {
			r := &Run{store: s, rec: rec, dir: dir}
			return r, r.save()
		}
		if !errors.Is(err, os.ErrExist) || i > 10 {
			return nil, fmt.Errorf("runs: Begin: %w", err)
		}
	}
}

// ID returns the run's ID.
func (r *Run) ID() string { return r.rec.ID }

// Epoch appends one epoch's metrics.
func (r *Run) Epoch(m train.EpochMetrics) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("runs: %s: %w", r.rec.ID, err)
	}
	f, err := os.OpenFile(filepath.Join(r.dir, "epochs.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("runs: %s: %w", r.rec.ID, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("runs: %s: %w", r.rec.ID, err)
	}
	return f.Close()
}

// Hooks returns train hooks recording each epoch.
func (r *Run) Hooks() train.Hooks { return train.Hooks{EpochEnd: r.Epoch} }

// Finish records the end: results, artifacts and the status err implies
// (nil: finished; train.ErrInterrupted: interrupted; other: failed).
func (r *Run) Finish(results map[string]float64, artifacts map[string]string, err error) error {
	r.rec.End = time.Now().UTC()
	r.rec.Results = map[string]float64{}
	for k, v := range results {
		if !math.IsNaN(v) && !math.IsInf(v, 0) { // absent values (no accuracy for regression)
			r.rec.Results[k] = v
		}
	}
	r.rec.Artifacts = artifacts
	switch {
	case err == nil:
		r.rec.Status = Finished
	case errors.Is(err, train.ErrInterrupted):
		r.rec.Status, r.rec.Error = Interrupted, err.Error()
	default:
		r.rec.Status, r.rec.Error = Failed, err.Error()
	}
	return r.save()
}

// save writes record.json atomically.
func (r *Run) save() error {
	b, err := json.MarshalIndent(r.rec, "", "  ")
	if err != nil {
		return fmt.Errorf("runs: %s: %w", r.rec.ID, err)
	}
	return writeAtomic(filepath.Join(r.dir, "record.json"), b)
}

// writeAtomic writes b to path through a temporary file in the same folder.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

// Get returns a run's record and epochs.
func (s *Store) Get(id string) (Record, []train.EpochMetrics, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return Record{}, nil, fmt.Errorf("runs: %w: %q", ErrNotFound, id)
	}
	dir := filepath.Join(s.Dir, id)
	b, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, nil, fmt.Errorf("runs: %w: %q in %s", ErrNotFound, id, s.Dir)
	}
	if err != nil {
		return Record{}, nil, fmt.Errorf("runs: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, nil, fmt.Errorf("runs: %s: record.json: %w", id, err)
	}
	rec.Status = liveStatus(rec)
	epochs, err := readEpochs(filepath.Join(dir, "epochs.jsonl"))
	return rec, epochs, err
}

// liveStatus turns "running" into "lost" when the run's process is gone.
func liveStatus(rec Record) string {
	if rec.Status != Running {
		return rec.Status
	}
	host, _ := os.Hostname()
	if rec.Machine.Host != host || rec.PID <= 0 {
		return Running // another machine's: cannot tell
	}
	if p, err := os.FindProcess(rec.PID); err == nil && p.Signal(syscall.Signal(0)) == nil {
		return Running
	}
	return Lost
}

// readEpochs reads a JSON-lines file of epoch metrics; an absent file is
// no epochs, a torn last line (a process killed mid-write) is skipped.
func readEpochs(path string) ([]train.EpochMetrics, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer f.Close()
	var out []train.EpochMetrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		var row epochRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			continue // a torn line
		}
		out = append(out, row.metrics())
	}
	return out, sc.Err()
}

// Filter selects runs; empty fields match anything.
type Filter struct{ Kind, Model, Optimizer, Data, Status string }

func (f Filter) match(r Record) bool {
	ok := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	return ok(f.Kind, r.Kind) && ok(f.Model, r.Model) && ok(f.Optimizer, r.Optimizer) && ok(f.Data, r.Data) && ok(f.Status, r.Status)
}

// List returns the records that match f, oldest first.
func (s *Store) List(f Filter) ([]Record, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	var out []Record
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		rec, _, err := s.Get(e.Name())
		if err != nil {
			continue // not a run folder, or one being created
		}
		if f.match(rec) {
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

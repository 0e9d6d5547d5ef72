package train

import (
	"encoding/json"
	"math"
	"strconv"
)

// Metrics are a model's loss and metrics on a dataset.
type Metrics struct {
	Loss     float64            // mean loss per example
	Accuracy float64            // Values["accuracy"] when computed, else NaN
	Values   map[string]float64 // every Config.Metrics value, by name
	N        int                // examples
}

// EpochMetrics is one row of a run's history. Absent values are NaN
// (no validation set, a regression task).
type EpochMetrics struct {
	Epoch          int     `json:"epoch"`
	TrainLoss      float64 `json:"train_loss"`
	TrainAccuracy  float64 `json:"train_accuracy"`
	ValLoss        float64 `json:"val_loss"`
	ValAccuracy    float64 `json:"val_accuracy"`
	LR             float64 `json:"lr"`
	Seconds        float64 `json:"seconds"`
	ExamplesPerSec float64 `json:"examples_per_sec"`
	// Val holds the validation metrics (Config.Metrics) by name.
	Val map[string]float64 `json:"val,omitempty"`
}

// MarshalJSON writes NaN as null.
func (m EpochMetrics) MarshalJSON() ([]byte, error) {
	out := map[string]any{
		"epoch": m.Epoch, "train_loss": nullNaN(m.TrainLoss), "train_accuracy": nullNaN(m.TrainAccuracy),
		"val_loss": nullNaN(m.ValLoss), "val_accuracy": nullNaN(m.ValAccuracy), "lr": nullNaN(m.LR),
		"seconds": m.Seconds, "examples_per_sec": m.ExamplesPerSec,
	}
	for k, v := range m.Val {
		out["val_"+k] = nullNaN(v)
	}
	return json.Marshal(out)
}

func nullNaN(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// History is the record of a training run.
type History struct {
	Epochs       []EpochMetrics
	BestEpoch    int     // 1-based epoch of the lowest monitored loss (0: none)
	BestLoss     float64 // that loss
	StoppedEarly bool
	Restored     bool // the best epoch's weights were put back
}

// exact is a float64 that survives a JSON round trip bit for bit,
// NaN and infinities included (written as a string).
type exact float64

func (f exact) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatFloat(float64(f), 'g', -1, 64))
}

func (f *exact) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	*f = exact(v)
	return err
}

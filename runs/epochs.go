package runs

import (
	"math"
	"strings"

	"github.com/descent-ml/descent/train"
)

// epochRow is one line of epochs.jsonl: train.EpochMetrics as JSON, with
// null for absent values and val_<name> for the validation metrics.
type epochRow map[string]*float64

func (r epochRow) metrics() train.EpochMetrics {
	get := func(k string) float64 {
		if v := r[k]; v != nil {
			return *v
		}
		return math.NaN()
	}
	m := train.EpochMetrics{Epoch: int(get("epoch")), TrainLoss: get("train_loss"), TrainAccuracy: get("train_accuracy"),
		ValLoss: get("val_loss"), ValAccuracy: get("val_accuracy"), LR: get("lr"), Seconds: get("seconds"),
		ExamplesPerSec: get("examples_per_sec")}
	for k, v := range r {
		// val_accuracy is written for every row (EpochMetrics.ValAccuracy):
		// null there is no accuracy, not a metric whose value is NaN.
		if k == "val_accuracy" && v == nil {
			continue
		}
		if name, ok := strings.CutPrefix(k, "val_"); ok && name != "loss" {
			if m.Val == nil {
				m.Val = map[string]float64{}
			}
			m.Val[name] = get(k)
		}
	}
	return m
}

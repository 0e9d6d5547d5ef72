package golden_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/golden"
)

// TestGoldenKinds: every case file in the golden folder is of a kind some
// replay knows (by its name prefix and its "kind" field), so no case is
// silently left out of the replays.
func TestGoldenKinds(t *testing.T) {
	_, files := golden.Folder(t)
	kindOf := map[string][]string{
		"optim_":  {"optimizer"},
		"bn_":     {"batchnorm", "batchnorm_sequence"},
		"train_":  {"train"},
		"module_": {"module"},
	}
	for _, f := range files {
		name := golden.Name(f)
		var prefix string
		for _, k := range golden.Kinds {
			if strings.HasPrefix(name, k) {
				prefix = k
			}
		}
		require.NotEmpty(t, prefix, "%s: unknown case kind (want a file name starting with one of %v)", f, golden.Kinds)
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var head struct {
			Kind string `json:"kind"`
		}
		require.NoError(t, json.Unmarshal(raw, &head), f)
		require.Contains(t, kindOf[prefix], head.Kind, "%s: kind %q", f, head.Kind)
	}
}

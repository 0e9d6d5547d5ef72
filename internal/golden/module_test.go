package golden_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/internal/golden"
)

// moduleCase is section D of the golden README: one forward and backward
// pass of a torch.nn module with recorded parameters.
type moduleCase struct {
	Kind   string          `json:"kind"`
	Module string          `json:"module"`
	DType  string          `json:"dtype"`
	Config json.RawMessage `json:"config"`
}

func TestGoldenModules(t *testing.T) {
	r := golden.Open(t, "module_")
	for _, f := range r.Files {
		r.Run(t, f, func(t *testing.T, f string) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var c moduleCase
			require.NoError(t, json.Unmarshal(raw, &c))
			require.Equal(t, "module", c.Kind)
			golden.Unsupported(t, "module "+c.Module+" is not implemented yet")
		})
	}
}

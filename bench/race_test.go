package bench

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/optimizers"
)

// signSGD is a contender defined outside the optimizers package.
type signSGD struct{ lr float64 }

func (s signSGD) Step(params []*graph.Param) error {
	for _, p := range params {
		if p.Grad() == nil {
			continue
		}
		v, err := p.Value().Float32s()
		if err != nil {
			return err
		}
		g, err := p.Grad().Float32s()
		if err != nil {
			return err
		}
		for i := range v {
			v[i] -= float32(s.lr * math.Copysign(1, float64(g[i])))
		}
	}
	return nil
}

func TestRace(t *testing.T) {
	probs, err := Problems([]string{"linear", "moons"}, "", 1)
	require.NoError(t, err)
	cs, err := Builtin([]string{"sgd", "adam"}, optimizers.Hyper{})
	require.NoError(t, err)
	cs = append(cs, Contender{Name: "sign-sgd", New: func() (optimizers.Optimizer, error) { return signSGD{lr: 1e-3}, nil }})
	res, err := Race(context.Background(), probs, cs, 5, 1)
	require.NoError(t, err)
	require.Len(t, res, 6)
	for _, r := range res {
		require.NoError(t, r.Err)
		require.Len(t, r.Losses, 5)
	}
	// Everyone starts from the same weights: with one full batch per epoch,
	// the first epoch's loss (before any update) is the same for all.
	require.Equal(t, res[0].Losses[0], res[1].Losses[0])
	require.Equal(t, res[0].Losses[0], res[2].Losses[0])
	require.NotEqual(t, res[0].Losses[4], res[1].Losses[4])

	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, res))
	out := buf.String()
	require.Equal(t, 7, strings.Count(out, "\n"))
	require.Contains(t, out, "sign-sgd")

	path := filepath.Join(t.TempDir(), "moons.png")
	require.NoError(t, Plot(path, "moons", res))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = png.Decode(f)
	require.NoError(t, err)

	_, err = Problems([]string{"imagenet"}, "", 1)
	require.ErrorContains(t, err, `unknown problem "imagenet"`)
}

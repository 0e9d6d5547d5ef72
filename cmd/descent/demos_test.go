package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
)

// The README's sequence commands (its results table).
var (
	recallTransformer = []string{"train", "--data", "seq:recall", "--model", "transformer", "--layers", "1",
		"--optimizer", "adam", "--lr", "0.002", "--batch-size", "32", "--schedule", "cosine:15", "--epochs", "15"}
	recallMLP = []string{"train", "--data", "seq:recall", "--model", "mlp", "--hidden", "256,256",
		"--optimizer", "adam", "--lr", "0.001", "--batch-size", "32", "--epochs", "15"}
)

// The README's sequence demonstration: on seq:recall (is the first token
// repeated in the 16-32 tokens after it?) the Transformer reaches 99% on
// fresh sequences, the MLP on the same one-hot tokens stays near chance.
func TestDemoRecallTransformerVersusMLP(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a Transformer for 15 epochs (about 80 s); CI runs it")
	}
	out, err := runCLI(t, append(recallTransformer, "--quiet")...)
	require.NoError(t, err, out)
	tf := number(t, out, "test accuracy")
	require.GreaterOrEqual(t, tf, 99.0, out)

	out, err = runCLI(t, append(recallMLP, "--quiet")...)
	require.NoError(t, err, out)
	mlp := number(t, out, "test accuracy")
	require.Less(t, mlp, 65.0, "the MLP is not supposed to solve recall:\n%s", out)
	t.Logf("test accuracy: Transformer %.2f%%, MLP %.2f%%", tf, mlp)
}

// The README's recommender demonstration: matrix factorisation on ratings
// with a known rank-5 structure and noise std 0.3 gets within 10% of that
// floor on held-out ratings, from the synthetic source and from a CSV.
func TestDemoMatrixFactorization(t *testing.T) {
	recipe := []string{"--model", "mf", "--factors", "8", "--optimizer", "adam", "--lr", "0.003", "--epochs", "20", "--quiet"}
	out, err := runCLI(t, append([]string{"train", "--data", "ratings:synthetic"}, recipe...)...)
	require.NoError(t, err, out)
	rmse := number(t, out, "test RMSE")
	require.LessOrEqual(t, rmse, 0.33, out)
	require.Greater(t, rmse, 0.28, "below the noise floor: the test ratings leaked into training?\n%s", out)

	// The same kind of data as a user,item,rating file with names for ids.
	ds, err := data.SyntheticRatings(data.RatingsConfig{Users: 1000, Items: 500, N: 220000, Seed: 7})
	require.NoError(t, err)
	xs, err := ds.X.Ints()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("user,item,rating\n")
	for i := 0; i < ds.Len(); i++ {
		fmt.Fprintf(&b, "u%d,m%d,%g\n", xs[2*i], xs[2*i+1], ds.Y.At(i))
	}
	path := filepath.Join(t.TempDir(), "ratings.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	out, err = runCLI(t, append([]string{"train", "--data", "csv:" + path, "--test-split", "0.1"}, recipe...)...)
	require.NoError(t, err, out)
	rmse = number(t, out, "test RMSE")
	require.LessOrEqual(t, rmse, 0.33, out)
	require.Greater(t, rmse, 0.28, out)
}

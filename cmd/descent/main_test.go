package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/data"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	var err error
	require.NotPanics(t, func() { err = run(context.Background(), args, &out, &errOut) })
	return out.String() + errOut.String(), err
}

func TestHelp(t *testing.T) {
	out, err := runCLI(t, "--help")
	require.NoError(t, err)
	for _, c := range []string{"train", "eval", "cv", "bench", "version"} {
		require.Contains(t, out, "\n  "+c+" ")
	}
	for _, cmd := range []string{"train", "cv"} {
		out, err = runCLI(t, cmd, "--help")
		require.ErrorIs(t, err, flag.ErrHelp)
		for _, f := range []string{"-data", "-target", "-model", "-hidden", "-batchnorm", "-dropout", "-optimizer", "-lr",
			"-momentum", "-weight-decay", "-beta1", "-beta2", "-eps", "-schedule", "-epochs", "-batch-size", "-seed",
			"-val-split", "-patience", "-clip-norm", "-dtype"} {
			require.Regexp(t, "\n  "+f+"[ \n]", out, "%s --help lists %s", cmd, f)
		}
	}
	out, _ = runCLI(t, "train", "--help")
	for _, f := range []string{"-checkpoint-dir", "-resume", "-metrics", "-plot"} {
		require.Regexp(t, "\n  "+f+"[ \n]", out)
	}
	out, _ = runCLI(t, "eval", "--help")
	require.Contains(t, out, "-checkpoint string")
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "no command"},
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--lr", "-1"}, "LR = -1"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "adam", "--beta2", "1"}, "Beta2 = 1"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "nesterov", "--momentum", "0"}, "Nesterov"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "sgd", "--beta1", "0.9"}, "Beta1"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "lbfgs"}, "lbfgs"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--schedule", "cosine:0"}, "--schedule"},
		{[]string{"train", "--data", "linreg", "--model", "cnn"}, "needs image data"},
		{[]string{"train", "--data", "linreg", "--model", "softmax"}, "needs a classification dataset"},
		{[]string{"train", "--data", "linreg", "--epochs", "0"}, "epochs"},
		{[]string{"train", "--data", "tiny"}, `--data "tiny"`},
		{[]string{"train", "--data", "csv:x.csv"}, "needs --target"},
		{[]string{"train", "--data", "spirals", "--hidden", "8,x"}, "--hidden"},
		{[]string{"train", "--data", "spirals", "--hidden", "16,8x"}, `--hidden: "16,8x" is not a list of positive integers (e.g. 256,128): "8x" is not one`},
		{[]string{"cv", "--data", "spirals", "--hidden", "1A"}, `"1A" is not one`},
		{[]string{"bench", "--sizes", "64,0x10", "matmul"}, `--sizes: "64,0x10" is not a list`},
		{[]string{"bench", "--sizes", "4294967296", "matmul"}, "--sizes: 4294967296 is too large (want n <= 16384"},
		{[]string{"train", "extra"}, `unexpected argument "extra"`},
		{[]string{"eval"}, "--checkpoint FILE is required"},
		{[]string{"bench", "nothing"}, "matmul"},
	} {
		_, err := runCLI(t, tc.args...)
		require.Error(t, err, "%v", tc.args)
		require.Contains(t, err.Error(), tc.msg, "%v", tc.args)
	}
}

func TestTrainLinreg(t *testing.T) {
	out, err := runCLI(t, "train", "--data", "linreg", "--model", "linear", "--optimizer", "gd", "--lr", "0.01",
		"--epochs", "1000", "--log-every", "100", "--dtype", "float64")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Contains(t, lines[len(lines)-1], "train loss ")
	require.Contains(t, out, "epoch 1000/1000: train loss")
	require.Equal(t, 10, strings.Count(out, "epoch "), "every 100 epochs")
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,b,y\n1,2,3\n4,oops,6\n"), 0o644))
	_, err := runCLI(t, "train", "--data", "csv:"+path, "--target", "y", "--model", "linear")
	require.Error(t, err)
	var fe *data.FileError
	require.True(t, errors.As(err, &fe))
	require.Contains(t, err.Error(), path)
	require.Contains(t, err.Error(), `line 3, column "b"`)

	_, err = runCLI(t, "train", "--data", "csv:"+filepath.Join(dir, "missing.csv"), "--target", "y")
	require.Error(t, err)
}

func TestTrainCSVAndSynthetic(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x1,x2,y\n")
	for i := 0; i < 40; i++ {
		x1, x2 := float64(i%7), float64(i%5)
		b.WriteString(strings.Join([]string{ftoa(x1), ftoa(x2), ftoa(3*x1 - 2*x2 + 1)}, ",") + "\n")
	}
	path := filepath.Join(dir, "lin.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	out, err := runCLI(t, "train", "--data", "csv:"+path, "--target", "y", "--model", "linear", "--standardize",
		"--optimizer", "adam", "--lr", "0.1", "--epochs", "300", "--batch-size", "8", "--test-split", "0.25", "--log-every", "100")
	require.NoError(t, err)
	require.Contains(t, out, "test loss ")

	out, err = runCLI(t, "train", "--data", "moons", "--model", "mlp", "--hidden", "16", "--epochs", "30",
		"--optimizer", "adam", "--lr", "0.01", "--test-split", "0.2", "--val-split", "0.2", "--log-every", "10",
		"--metrics", filepath.Join(dir, "m.jsonl"), "--plot", filepath.Join(dir, "p.png"))
	require.NoError(t, err)
	require.Regexp(t, `test accuracy (9[5-9]|100)\.\d\d%\n$`, out)
	require.FileExists(t, filepath.Join(dir, "p.png"))
}

func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(strconvF(v), "0"), ".") }

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func TestCheckpointEvalAndResume(t *testing.T) {
	if _, err := data.FindMNIST(); err != nil {
		t.Skipf("MNIST not found: %v", err)
	}
	dir := t.TempDir()
	out, err := runCLI(t, "train", "--model", "softmax", "--epochs", "1", "--batch-size", "500", "--checkpoint-dir", dir)
	require.NoError(t, err)
	require.Regexp(t, `test accuracy (8[5-9]|9\d)\.\d\d%\n$`, out)
	acc := out[strings.LastIndex(out, "test accuracy"):]

	out, err = runCLI(t, "eval", "--checkpoint", filepath.Join(dir, "last.safetensors"), "--data", "mnist")
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(out, acc), "eval reproduces the accuracy: %q vs %q", out, acc)

	out, err = runCLI(t, "train", "--model", "softmax", "--epochs", "2", "--batch-size", "500", "--checkpoint-dir", dir, "--resume")
	require.NoError(t, err)
	require.Contains(t, out, "epoch 2/2")
	require.NotContains(t, out, "epoch 1/2", "epoch 1 comes from the checkpoint")

	// A truncated checkpoint is an error, not a panic.
	raw, err := os.ReadFile(filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, raw[:len(raw)/2], 0o644))
	_, err = runCLI(t, "eval", "--checkpoint", bad)
	require.ErrorContains(t, err, "bad.safetensors")
}

func TestCV(t *testing.T) {
	out, err := runCLI(t, "cv", "--folds", "3", "--data", "moons", "--model", "mlp", "--hidden", "16", "--epochs", "20",
		"--optimizer", "adam", "--lr", "0.01")
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(out, "fold "))
	require.Regexp(t, `accuracy: mean \d+\.\d\d%, std \d+\.\d\d% over 3 folds`, out)
}

func TestVersionAndBench(t *testing.T) {
	out, err := runCLI(t, "version")
	require.NoError(t, err)
	require.Contains(t, out, "BLAS backend:")
	out, err = runCLI(t, "bench", "--sizes", "32,64", "--time", "1ms", "matmul")
	require.NoError(t, err)
	require.Contains(t, out, "backend:")
	require.Equal(t, 4, strings.Count(out, "%\n"), "two sizes, two dtypes")

	dir := t.TempDir()
	out, err = runCLI(t, "bench", "--problems", "linear", "--optimizers", "sgd,adam", "--epochs", "2", "--plot-dir", dir, "optimizers")
	require.NoError(t, err)
	require.Contains(t, out, "linear   adam")
	require.FileExists(t, filepath.Join(dir, "linear.png"))
}

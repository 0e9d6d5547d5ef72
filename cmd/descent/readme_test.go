package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeCommands returns the descent commands the README shows: the lines
// of its sh blocks that run descent (or go run ./cmd/descent), and the
// commands in its result tables, in order, as argument lists.
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var out [][]string
	inSh := false
	cell := regexp.MustCompile("`((?:go run \\./cmd/)?descent [^`]+)`")
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = !inSh && strings.TrimPrefix(line, "```") == "sh"
			continue
		case inSh:
			if cmd, _, _ := strings.Cut(line, "#"); isDescent(cmd) {
				out = append(out, args(cmd))
			}
		case strings.HasPrefix(line, "|"):
			for _, m := range cell.FindAllStringSubmatch(line, -1) {
				out = append(out, args(m[1]))
			}
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func isDescent(cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	return strings.HasPrefix(cmd, "descent ") || strings.HasPrefix(cmd, "go run ./cmd/descent ")
}

// args splits a command line (the README's have no quotes) into the
// arguments after the program.
func args(cmd string) []string {
	f := strings.Fields(cmd)
	if f[0] == "go" {
		f = f[3:] // go run ./cmd/descent
	} else {
		f = f[1:]
	}
	return f
}

// coveredElsewhere are README commands another test runs exactly as
// written, checking their results: not run twice.
var coveredElsewhere = map[string]string{
	strings.Join(recallTransformer, " "):                "TestDemoRecallTransformerVersusMLP",
	strings.Join(recallMLP, " "):                        "TestDemoRecallTransformerVersusMLP",
	"bench optimizers --check-references --store store": ".ci/run's reference-check step (two minutes)",
}

// shortened are README commands too slow for the test suite (minutes): the
// test runs them with --epochs 1 instead, so their flags and data are
// still checked. Their results in the README were measured as written.
var shortened = map[string]bool{
	"train --model cnn --epochs 3": true,
}

// Every command the README shows runs as written from a fresh clone, in
// order (eval reads the checkpoint train wrote, runs ls the runs recorded),
// in a folder holding only testdata/.
func TestREADMECommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every README command (a few minutes); CI runs it")
	}
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	cmds := readmeCommands(t)
	require.GreaterOrEqual(t, len(cmds), 12, "the README's commands were not found")
	dir := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(repo, "testdata"), filepath.Join(dir, "testdata")))
	t.Chdir(dir)
	for _, a := range cmds {
		line := strings.Join(a, " ")
		if name, ok := coveredElsewhere[line]; ok {
			t.Logf("descent %s: run by %s", line, name)
			continue
		}
		if shortened[line] {
			a = append(a, "--epochs", "1")
			t.Logf("descent %s: run with --epochs 1", line)
		}
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), a, &stdout, &stderr)
		require.NoError(t, err, "descent %s:\n%s%s", line, stdout.String(), stderr.String())
	}
	// The README's promises about what those commands leave behind.
	require.FileExists(t, filepath.Join(dir, "ckpt", "last.safetensors"))
	require.FileExists(t, filepath.Join(dir, "report.html"))
	entries, err := os.ReadDir(filepath.Join(dir, "runs"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(entries), 8, "every train and cv run is recorded under runs/")
}

// The README's example commands parse: a renamed flag breaks this test in
// -short mode too, before anything runs.
func TestREADMECommandsParse(t *testing.T) {
	n := 0
	for _, a := range readmeCommands(t) {
		var fs *flag.FlagSet
		switch a[0] {
		case "train":
			fs, _ = trainFlags(io.Discard)
		case "cv":
			fs, _ = cvFlags(io.Discard)
		case "eval":
			fs, _ = evalFlags(io.Discard)
		case "predict":
			fs, _ = predictFlags(io.Discard)
		default:
			continue // runs, bench, version: subcommand words; TestREADMECommands runs them
		}
		_, err := parseArgs(fs, a[0], a[1:])
		require.NoError(t, err, "descent %s", strings.Join(a, " "))
		n++
	}
	require.GreaterOrEqual(t, n, 10)
}

package main

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/plotutil"
)

// chromium finds a headless-capable Chromium. Without one the test is
// skipped, unless DESCENT_REQUIRE_CHROMIUM=1 (CI installs Debian's
// chromium and sets it) makes that a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("DESCENT_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("DESCENT_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); .ci/run installs it and runs this test")
	return ""
}

// The report of a few runs, as a user opens it: headless Chromium renders
// the file, and the screenshot must show the page and its charts (the
// learning curves are drawn in the charts' first and second colours).
func TestReportRendersInChromium(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	for _, lr := range []string{"0.01", "0.05"} {
		out, err := runCLI(t, "train", "--data", "moons", "--hidden", "8", "--epochs", "8", "--optimizer", "adam", "--lr", lr,
			"--val-split", "0.2", "--runs-dir", dir)
		require.NoError(t, err, out)
	}
	html := filepath.Join(dir, "report.html")
	out, err := runCLI(t, "runs", "--dir", dir, "report", "--out", html)
	require.NoError(t, err, out)

	shot := filepath.Join(t.TempDir(), "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--screenshot="+shot, "--window-size=1200,1600", "file://"+html)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // a profile of its own
	log, err := cmd.CombinedOutput()
	require.NoError(t, err, "chromium: %s", log)

	f, err := os.Open(shot)
	require.NoError(t, err, "chromium wrote no screenshot: %s", log)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	require.Equal(t, image.Rect(0, 0, 1200, 1600), b)

	// Not blank: text and table borders make dark pixels, and the page is
	// mostly white.
	var dark, white int
	series := make([]int, 2)
	want := []color.Color{plotutil.Color(0), plotutil.Color(1)}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			r, g, bl, _ := c.RGBA()
			switch l := (r + g + bl) / 3 >> 8; {
			case l < 100:
				dark++
			case l > 245:
				white++
			}
			for i, w := range want {
				if near(c, w) {
					series[i]++
				}
			}
		}
	}
	total := b.Dx() * b.Dy()
	require.Greater(t, dark, total/500, "no text drawn: a blank page?")
	require.Greater(t, white, total/2, "the page background is not white")
	for i, n := range series {
		require.Greater(t, n, 300, "series colour %d: %d pixels; the charts' curves are not visible", i, n)
	}
}

// near reports whether two colours are within a few levels per channel
// (antialiasing blends the edges of a curve).
func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { return max(x, y)-min(x, y) <= 12<<8 }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

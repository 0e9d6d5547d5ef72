package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/blas"
)

// version is the module version when built from a tagged module, else "devel".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func runVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "descent %s (%s, %s/%s), BLAS backend: %s, %d threads\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		blas.Name(), graph.Threads())
	if h := blas.Hint(); h != "" {
		fmt.Fprintln(w, "note:", h)
	}
	return err
}

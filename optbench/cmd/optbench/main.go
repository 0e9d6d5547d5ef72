// Command optbench is the optimizer benchmark of package optbench on its
// own ("descent bench" runs the same commands):
//
//	go run ./optbench/cmd/optbench optimizers --suite quick --workers 2
//	go run ./optbench/cmd/optbench --help
//
// Ctrl-C stops after the running trials are abandoned; every finished
// trial is in the store, and the same command resumes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/descent-ml/descent/optbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := optbench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "optbench:", err)
		if optbench.IsUsage(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

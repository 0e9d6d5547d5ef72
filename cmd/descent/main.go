// Command descent trains, evaluates, cross-validates and benchmarks
// descent's models from the command line. Run `descent --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		// usage was printed
	default:
		fmt.Fprintln(os.Stderr, "descent:", err)
		os.Exit(1)
	}
}

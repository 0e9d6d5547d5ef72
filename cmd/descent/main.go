// Command descent trains, evaluates, cross-validates, benchmarks and
// exports descent's models from the command line. Run `descent --help`.
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
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr)))
}

// exitCode prints err for a person and returns the exit status: 0, 2 for a
// mistake on the command line (with a one-line hint), 1 otherwise.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "descent:", err)
		fmt.Fprintln(os.Stderr, ue.hint())
		return 2
	}
	fmt.Fprintln(os.Stderr, "descent:", err)
	return 1
}

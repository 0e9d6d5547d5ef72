package main

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The data lie exactly on y = x1 + x2, so gradient descent drives the loss
// towards 0; after 1000 epochs at lr 0.01 it must be below 1e-4.
func TestFinalLoss(t *testing.T) {
	final, err := run(io.Discard)
	require.NoError(t, err)
	require.Less(t, final, 1e-4)
}

func Example() {
	if _, err := run(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// epoch  100  loss 0.003323
	// epoch  200  loss 0.001670
	// epoch  300  loss 0.000839
	// epoch  400  loss 0.000421
	// epoch  500  loss 0.000212
	// epoch  600  loss 0.000106
	// epoch  700  loss 0.000053
	// epoch  800  loss 0.000027
	// epoch  900  loss 0.000013
	// epoch 1000  loss 0.000007
	// W = [0.6178 1.3800]
	// b = [-0.3737]
	// final loss 6.73e-06
}

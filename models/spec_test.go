package models

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/descent-ml/descent/graph"
)

// A crafted spec (read from a checkpoint) with sizes whose product
// overflows int or exceeds graph.MaxElements fails with graph.ErrShape
// before anything large is allocated, never with a panic.
func TestBuildHugeSpecs(t *testing.T) {
	for _, js := range []string{
		`{"kind":"mlp","in":784,"out":10,"hidden":[4611686018427387904]}`,
		`{"kind":"mlp","in":784,"out":10,"hidden":[8,4611686018427387904]}`,
		`{"kind":"mlp","in":4611686018427387904,"out":10}`,
		`{"kind":"mlp","in":2,"out":9223372036854775807}`,
		`{"kind":"linear","in":4294967296,"out":4294967296}`,
		`{"kind":"linear","in":1099511627777}`,
		`{"kind":"softmax","in":3037000500,"out":3037000500}`,
		`{"kind":"cnn","in":0,"out":10,"image":[4294967296,4294967296,1]}`,
		`{"kind":"cnn","in":1,"out":10,"image":[3037000500,3037000500,2]}`,
		`{"kind":"cnn","in":1099511627776,"out":10,"image":[1,1048576,1048576]}`,
		`{"kind":"cnn","in":4398046511104,"out":10,"image":[4,1048576,1048576]}`,
	} {
		sp, err := ParseSpec(js)
		require.NoError(t, err, js)
		g, err := graph.New(graph.Config{})
		require.NoError(t, err)
		var m Module
		require.NotPanics(t, func() { m, err = Build(g, sp) }, js)
		require.ErrorIs(t, err, graph.ErrShape, js)
		require.Nil(t, m)
	}
}

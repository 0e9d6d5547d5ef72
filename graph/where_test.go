package graph

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Where with a condition of each dtype, broadcast as an attention mask
// ([2, 1, 3] against [2, 4, 3]), against the element-by-element rule.
func TestWhereConditionDTypes(t *testing.T) {
	outShape := Shape{2, 4, 3}
	a := mustTensor(Float32, outShape)
	for i := range a.f32 {
		a.f32[i] = float32(i) + 0.5
	}
	fill := mustTensor(Float32, Shape{})
	fill.f32[0] = float32(math.Inf(-1))
	bits := []float64{1, 0, 2, 0, math.NaN(), -1}
	conds := map[DType]*Tensor{Int: {dtype: Int, shape: Shape{2, 1, 3}, ints: []int{1, 0, 2, 0, 1, -1}}}
	for _, dt := range []DType{Float32, Float64} {
		c := mustTensor(dt, Shape{2, 1, 3})
		for i, v := range bits {
			if dt == Float32 {
				c.f32[i] = float32(v)
			} else {
				c.f64[i] = v
			}
		}
		conds[dt] = c
	}
	for dt, c := range conds {
		out := mustTensor(Float32, outShape)
		require.NoError(t, whereOp{}.Forward(&Context{}, out, []*Tensor{c, fill, a}))
		for n := range 2 {
			for h := range 4 {
				for k := range 3 {
					i := (n*4+h)*3 + k
					want := a.f32[i]
					if bits[n*3+k] != 0 { // NaN is not 0: it holds
						want = fill.f32[0]
					}
					require.Equal(t, want, out.f32[i], "%v condition, element %d", dt, i)
				}
			}
		}
	}
}

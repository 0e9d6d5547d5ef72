// Code generated from gen_elem.go's kernel list; DO NOT EDIT.

//go:build amd64 && !purego

package vec

//go:noescape
func binADDVVAVX512S(z, x, y *float32, n int)

//go:noescape
func binADDVSAVX512S(z, x, y *float32, n int)

//go:noescape
func binADDSVAVX512S(z, x, y *float32, n int)

//go:noescape
func binSUBVVAVX512S(z, x, y *float32, n int)

//go:noescape
func binSUBVSAVX512S(z, x, y *float32, n int)

//go:noescape
func binSUBSVAVX512S(z, x, y *float32, n int)

//go:noescape
func binMULVVAVX512S(z, x, y *float32, n int)

//go:noescape
func binMULVSAVX512S(z, x, y *float32, n int)

//go:noescape
func binMULSVAVX512S(z, x, y *float32, n int)

//go:noescape
func binDIVVVAVX512S(z, x, y *float32, n int)

//go:noescape
func binDIVVSAVX512S(z, x, y *float32, n int)

//go:noescape
func binDIVSVAVX512S(z, x, y *float32, n int)

//go:noescape
func reluAVX512S(y, x *float32, n int)

//go:noescape
func reluGradAVX512S(out, y, grad *float32, n int)

//go:noescape
func sumAVX512S(x *float32, n int) float64

//go:noescape
func binADDVVAVX2S(z, x, y *float32, n int)

//go:noescape
func binADDVSAVX2S(z, x, y *float32, n int)

//go:noescape
func binADDSVAVX2S(z, x, y *float32, n int)

//go:noescape
func binSUBVVAVX2S(z, x, y *float32, n int)

//go:noescape
func binSUBVSAVX2S(z, x, y *float32, n int)

//go:noescape
func binSUBSVAVX2S(z, x, y *float32, n int)

//go:noescape
func binMULVVAVX2S(z, x, y *float32, n int)

//go:noescape
func binMULVSAVX2S(z, x, y *float32, n int)

//go:noescape
func binMULSVAVX2S(z, x, y *float32, n int)

//go:noescape
func binDIVVVAVX2S(z, x, y *float32, n int)

//go:noescape
func binDIVVSAVX2S(z, x, y *float32, n int)

//go:noescape
func binDIVSVAVX2S(z, x, y *float32, n int)

//go:noescape
func reluAVX2S(y, x *float32, n int)

//go:noescape
func reluGradAVX2S(out, y, grad *float32, n int)

//go:noescape
func sumAVX2S(x *float32, n int) float64

var binS = [2][4][3]func(z, x, y *float32, n int){
	{
		{binADDVVAVX2S, binADDVSAVX2S, binADDSVAVX2S},
		{binSUBVVAVX2S, binSUBVSAVX2S, binSUBSVAVX2S},
		{binMULVVAVX2S, binMULVSAVX2S, binMULSVAVX2S},
		{binDIVVVAVX2S, binDIVVSAVX2S, binDIVSVAVX2S},
	},
	{
		{binADDVVAVX512S, binADDVSAVX512S, binADDSVAVX512S},
		{binSUBVVAVX512S, binSUBVSAVX512S, binSUBSVAVX512S},
		{binMULVVAVX512S, binMULVSAVX512S, binMULSVAVX512S},
		{binDIVVVAVX512S, binDIVVSAVX512S, binDIVSVAVX512S},
	},
}

func reluS(l Level, y, x *float32, n int) {
	if l == AVX512 {
		reluAVX512S(y, x, n)
		return
	}
	reluAVX2S(y, x, n)
}

func reluGradS(l Level, out, y, grad *float32, n int) {
	if l == AVX512 {
		reluGradAVX512S(out, y, grad, n)
		return
	}
	reluGradAVX2S(out, y, grad, n)
}

func sumS(l Level, x *float32, n int) float64 {
	if l == AVX512 {
		return sumAVX512S(x, n)
	}
	return sumAVX2S(x, n)
}

//go:noescape
func binADDVVAVX512D(z, x, y *float64, n int)

//go:noescape
func binADDVSAVX512D(z, x, y *float64, n int)

//go:noescape
func binADDSVAVX512D(z, x, y *float64, n int)

//go:noescape
func binSUBVVAVX512D(z, x, y *float64, n int)

//go:noescape
func binSUBVSAVX512D(z, x, y *float64, n int)

//go:noescape
func binSUBSVAVX512D(z, x, y *float64, n int)

//go:noescape
func binMULVVAVX512D(z, x, y *float64, n int)

//go:noescape
func binMULVSAVX512D(z, x, y *float64, n int)

//go:noescape
func binMULSVAVX512D(z, x, y *float64, n int)

//go:noescape
func binDIVVVAVX512D(z, x, y *float64, n int)

//go:noescape
func binDIVVSAVX512D(z, x, y *float64, n int)

//go:noescape
func binDIVSVAVX512D(z, x, y *float64, n int)

//go:noescape
func reluAVX512D(y, x *float64, n int)

//go:noescape
func reluGradAVX512D(out, y, grad *float64, n int)

//go:noescape
func sumAVX512D(x *float64, n int) float64

//go:noescape
func binADDVVAVX2D(z, x, y *float64, n int)

//go:noescape
func binADDVSAVX2D(z, x, y *float64, n int)

//go:noescape
func binADDSVAVX2D(z, x, y *float64, n int)

//go:noescape
func binSUBVVAVX2D(z, x, y *float64, n int)

//go:noescape
func binSUBVSAVX2D(z, x, y *float64, n int)

//go:noescape
func binSUBSVAVX2D(z, x, y *float64, n int)

//go:noescape
func binMULVVAVX2D(z, x, y *float64, n int)

//go:noescape
func binMULVSAVX2D(z, x, y *float64, n int)

//go:noescape
func binMULSVAVX2D(z, x, y *float64, n int)

//go:noescape
func binDIVVVAVX2D(z, x, y *float64, n int)

//go:noescape
func binDIVVSAVX2D(z, x, y *float64, n int)

//go:noescape
func binDIVSVAVX2D(z, x, y *float64, n int)

//go:noescape
func reluAVX2D(y, x *float64, n int)

//go:noescape
func reluGradAVX2D(out, y, grad *float64, n int)

//go:noescape
func sumAVX2D(x *float64, n int) float64

var binD = [2][4][3]func(z, x, y *float64, n int){
	{
		{binADDVVAVX2D, binADDVSAVX2D, binADDSVAVX2D},
		{binSUBVVAVX2D, binSUBVSAVX2D, binSUBSVAVX2D},
		{binMULVVAVX2D, binMULVSAVX2D, binMULSVAVX2D},
		{binDIVVVAVX2D, binDIVVSAVX2D, binDIVSVAVX2D},
	},
	{
		{binADDVVAVX512D, binADDVSAVX512D, binADDSVAVX512D},
		{binSUBVVAVX512D, binSUBVSAVX512D, binSUBSVAVX512D},
		{binMULVVAVX512D, binMULVSAVX512D, binMULSVAVX512D},
		{binDIVVVAVX512D, binDIVVSAVX512D, binDIVSVAVX512D},
	},
}

func reluD(l Level, y, x *float64, n int) {
	if l == AVX512 {
		reluAVX512D(y, x, n)
		return
	}
	reluAVX2D(y, x, n)
}

func reluGradD(l Level, out, y, grad *float64, n int) {
	if l == AVX512 {
		reluGradAVX512D(out, y, grad, n)
		return
	}
	reluGradAVX2D(out, y, grad, n)
}

func sumD(l Level, x *float64, n int) float64 {
	if l == AVX512 {
		return sumAVX512D(x, n)
	}
	return sumAVX2D(x, n)
}

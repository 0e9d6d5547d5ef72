//go:build !amd64 || purego

package vec

func colSumsS(Level, *float32, *float32, int, int, int) {
	panic("vec: no kernels in this build")
}

func colSumsD(Level, *float64, *float64, int, int, int) {
	panic("vec: no kernels in this build")
}

func colSqdevS(Level, *float32, *float32, *float32, int, int, int) {
	panic("vec: no kernels in this build")
}

func colSqdevD(Level, *float64, *float64, *float64, int, int, int) {
	panic("vec: no kernels in this build")
}

func colDotsS(Level, *float32, *float32, *float32, *float32, int, int, int) {
	panic("vec: no kernels in this build")
}

func colDotsD(Level, *float64, *float64, *float64, *float64, int, int, int) {
	panic("vec: no kernels in this build")
}

func rowAffineS(Level, *float32, *float32, *float32, *float32, int) {
	panic("vec: no kernels in this build")
}

func rowAffineD(Level, *float64, *float64, *float64, *float64, int) {
	panic("vec: no kernels in this build")
}

func rowScaleS(Level, *float32, *float32, *float32, int) {
	panic("vec: no kernels in this build")
}

func rowScaleD(Level, *float64, *float64, *float64, int) {
	panic("vec: no kernels in this build")
}

func rowBndxS(Level, *float32, *float32, *float32, *float32, *float32, *float32, *float32, int) {
	panic("vec: no kernels in this build")
}

func rowBndxD(Level, *float64, *float64, *float64, *float64, *float64, *float64, *float64, int) {
	panic("vec: no kernels in this build")
}

//go:build !amd64 || purego

package vec

var binS [2][4][3]func(z, x, y *float32, n int)

func reluS(Level, *float32, *float32, int) { panic("vec: no kernels in this build") }

func reluGradS(Level, *float32, *float32, *float32, int) { panic("vec: no kernels in this build") }

func sumS(Level, *float32, int) float64 { panic("vec: no kernels in this build") }

var binD [2][4][3]func(z, x, y *float64, n int)

func reluD(Level, *float64, *float64, int) { panic("vec: no kernels in this build") }

func reluGradD(Level, *float64, *float64, *float64, int) { panic("vec: no kernels in this build") }

func sumD(Level, *float64, int) float64 { panic("vec: no kernels in this build") }

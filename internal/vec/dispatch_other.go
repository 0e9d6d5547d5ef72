//go:build !amd64 || purego

package vec

func detect() Level { return Generic }

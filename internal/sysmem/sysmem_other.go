//go:build !linux

package sysmem

// Total returns 0: the physical memory is not read on this system, so no
// default memory budget applies.
func Total() int64 { return 0 }

package optbench

import (
	"syscall"
	"unsafe"
)

// clockThreadCPUTime is CLOCK_THREAD_CPUTIME_ID of <time.h>.
const clockThreadCPUTime = 3

// threadCPU returns the CPU time consumed by the calling OS thread, in
// seconds (nanosecond resolution). The caller holds its goroutine on the
// thread (runtime.LockOSThread) while it measures.
func threadCPU() float64 {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return processCPU()
	}
	return float64(ts.Sec) + 1e-9*float64(ts.Nsec)
}

// processCPU is the process's user and system CPU time: the fallback.
func processCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + 1e-6*float64(ru.Utime.Usec+ru.Stime.Usec)
}

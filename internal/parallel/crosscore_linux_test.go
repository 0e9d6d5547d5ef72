//go:build linux

package parallel

import (
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// pin locks the calling goroutine to its thread and the thread to cpu.
// The goroutine must exit without unlocking: the runtime then ends the
// thread, and no other goroutine inherits its affinity.
func pin(tb testing.TB, cpu int) {
	runtime.LockOSThread()
	var mask [16]uint64
	mask[cpu/64] |= 1 << (cpu % 64)
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask))); e != 0 {
		tb.Skipf("sched_setaffinity: %v", e)
	}
}

// BenchmarkCrossCoreRead measures what splitting an op over cores costs
// in data movement: reading an array (one element per 64-byte line) that
// CPU 0 has just written, from CPU 0 itself and from CPU 1. An op whose
// input another core wrote pays the second price for it. On the
// development machine, 3 runs: 15-19 ns per KiB from CPU 0, 60-67 from
// CPU 1 (128 KiB: 2.0-2.4 µs against 7.7-8.6 µs).
func BenchmarkCrossCoreRead(b *testing.B) {
	if runtime.NumCPU() < 2 {
		b.Skip("one CPU")
	}
	for _, kib := range []int{128, 512} {
		buf := make([]float32, kib*256)
		for _, reader := range []int{0, 1} {
			name := map[int]string{0: "same-core", 1: "other-core"}[reader]
			b.Run(name+"/"+map[int]string{128: "128KiB", 512: "512KiB"}[kib], func(b *testing.B) {
				var read time.Duration
				var sink float32
				for i := 0; b.Loop(); i++ {
					var wg sync.WaitGroup
					wg.Add(1)
					go func() {
						defer wg.Done()
						pin(b, 0)
						for j := range buf {
							buf[j] = float32(i)
						}
					}()
					wg.Wait()
					wg.Add(1)
					go func() {
						defer wg.Done()
						pin(b, reader)
						t0 := time.Now()
						var s float32
						for j := 0; j < len(buf); j += 16 {
							s += buf[j]
						}
						read += time.Since(t0)
						sink += s
					}()
					wg.Wait()
				}
				b.ReportMetric(float64(read.Nanoseconds())/float64(b.N)/float64(kib), "read-ns/KiB")
				if sink < 0 {
					b.Log(sink)
				}
			})
		}
	}
}

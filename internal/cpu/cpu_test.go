package cpu

import (
	"runtime"
	"testing"
)

func TestX86(t *testing.T) {
	f := X86()
	if runtime.GOARCH != "amd64" && f != (Features{}) {
		t.Fatalf("features %+v off amd64", f)
	}
	if f.AVX512F && !f.AVX2 {
		t.Fatalf("AVX-512F without AVX2: %+v (no such CPU)", f)
	}
	if f != detect() {
		t.Fatalf("detect is not stable: %+v then %+v", f, detect())
	}
	t.Logf("%+v", f)
}

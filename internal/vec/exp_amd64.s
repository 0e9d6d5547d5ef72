//go:build amd64 && !purego

#include "textflag.h"

// func expAVX512(y, x *float64, n int, c *float64)
// Exp1's steps on 8 float64 lanes (see exp.go). Go's operand order:
// VFMADD213PD a, b, z: z = b*z + a; VFNMADD231PD a, b, z: z = z - a*b;
// VSCALEFPD k, p, z: z = p * 2^floor(k).
TEXT ·expAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+24(FP), AX
	VBROADCASTSD 0(AX), Z10   // -746
	VBROADCASTSD 8(AX), Z11   // 710
	VBROADCASTSD 16(AX), Z12  // 1/ln2
	VBROADCASTSD 24(AX), Z13  // ln2 hi
	VBROADCASTSD 32(AX), Z14  // ln2 lo
	VBROADCASTSD 40(AX), Z15  // 1/13!
	VBROADCASTSD 48(AX), Z16
	VBROADCASTSD 56(AX), Z17
	VBROADCASTSD 64(AX), Z18
	VBROADCASTSD 72(AX), Z19
	VBROADCASTSD 80(AX), Z20
	VBROADCASTSD 88(AX), Z21
	VBROADCASTSD 96(AX), Z22
	VBROADCASTSD 104(AX), Z23
	VBROADCASTSD 112(AX), Z24
	VBROADCASTSD 120(AX), Z25
	VBROADCASTSD 128(AX), Z26 // 1/2
	VBROADCASTSD 136(AX), Z27 // 1
	VBROADCASTSD 144(AX), Z28 // 1
	XORQ BX, BX

loop:
	CMPQ BX, CX
	JGE  done
	VMOVUPD      (SI)(BX*8), Z0
	VCMPPD       $3, Z0, Z0, K1 // NaN lanes
	VMAXPD       Z10, Z0, Z1    // clamp (NaN lanes are fixed at the end)
	VMINPD       Z11, Z1, Z1
	VMULPD       Z12, Z1, Z2    // x/ln2
	VRNDSCALEPD  $0, Z2, Z2     // k, to nearest, ties to even
	VFNMADD231PD Z13, Z2, Z1    // r = x - k*ln2hi
	VFNMADD231PD Z14, Z2, Z1    // r = r - k*ln2lo
	VMOVAPD      Z15, Z3        // p = 1/13!
	VFMADD213PD  Z16, Z1, Z3    // p = p*r + 1/12!
	VFMADD213PD  Z17, Z1, Z3
	VFMADD213PD  Z18, Z1, Z3
	VFMADD213PD  Z19, Z1, Z3
	VFMADD213PD  Z20, Z1, Z3
	VFMADD213PD  Z21, Z1, Z3
	VFMADD213PD  Z22, Z1, Z3
	VFMADD213PD  Z23, Z1, Z3
	VFMADD213PD  Z24, Z1, Z3
	VFMADD213PD  Z25, Z1, Z3
	VFMADD213PD  Z26, Z1, Z3
	VFMADD213PD  Z27, Z1, Z3
	VFMADD213PD  Z28, Z1, Z3    // p = p*r + 1
	VSCALEFPD    Z2, Z3, Z3     // p * 2^k
	VMOVAPD      Z0, K1, Z3     // NaN in, NaN out
	VMOVUPD      Z3, (DI)(BX*8)
	ADDQ         $8, BX
	JMP          loop

done:
	VZEROUPPER
	RET

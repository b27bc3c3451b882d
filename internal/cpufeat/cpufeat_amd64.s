//go:build amd64 && !purego

#include "textflag.h"

// func hasAVX2FMA() bool
TEXT ·hasAVX2FMA(SB), NOSPLIT, $0-1
	XORL CX, CX
	MOVL $0, AX
	CPUID
	CMPL AX, $7
	JLT  no
	MOVL $1, AX
	XORL CX, CX
	CPUID
	// ECX: FMA (bit 12), OSXSAVE (27), AVX (28).
	ANDL $0x18001000, CX
	CMPL CX, $0x18001000
	JNE  no
	XORL CX, CX
	XGETBV
	// XCR0: XMM (bit 1) and YMM (bit 2) state enabled by the OS.
	ANDL $6, AX
	CMPL AX, $6
	JNE  no
	MOVL $7, AX
	XORL CX, CX
	CPUID
	// EBX: AVX2 (bit 5).
	ANDL $0x20, BX
	JZ   no
	MOVB $1, ret+0(FP)
	RET
no:
	MOVB $0, ret+0(FP)
	RET

// func hasAVX512() bool
// AVX512F (CPUID 7: EBX bit 16) with the opmask and ZMM state enabled in XCR0 (bits 5–7);
// callers check hasAVX2FMA too.
TEXT ·hasAVX512(SB), NOSPLIT, $0-1
	XORL CX, CX
	MOVL $0, AX
	CPUID
	CMPL AX, $7
	JLT  no512
	MOVL $1, AX
	XORL CX, CX
	CPUID
	// ECX: OSXSAVE (bit 27).
	ANDL $0x08000000, CX
	JZ   no512
	XORL CX, CX
	XGETBV
	// XCR0: XMM, YMM (bits 1, 2), opmask, ZMM_Hi256, Hi16_ZMM (bits 5, 6, 7).
	ANDL $0xe6, AX
	CMPL AX, $0xe6
	JNE  no512
	MOVL $7, AX
	XORL CX, CX
	CPUID
	ANDL $0x10000, BX
	JZ   no512
	MOVB $1, ret+0(FP)
	RET
no512:
	MOVB $0, ret+0(FP)
	RET

//go:build amd64 && !purego

#include "textflag.h"

// Must be kept in sync with the twins in sparse_kernel.go: the same fused multiply-adds
// in the same order for every value. The callers (sparse_amd64.go) check the bounds.

DATA iota8<>+0(SB)/4, $0
DATA iota8<>+4(SB)/4, $1
DATA iota8<>+8(SB)/4, $2
DATA iota8<>+12(SB)/4, $3
DATA iota8<>+16(SB)/4, $4
DATA iota8<>+20(SB)/4, $5
DATA iota8<>+24(SB)/4, $6
DATA iota8<>+28(SB)/4, $7
GLOBL iota8<>(SB), RODATA|NOPTR, $32

// func packAVX2(x []float32, idx []int32, table *[256][8]int32) int
// len(x) is a multiple of 8. Eight values at a time: the mask of those not equal to zero
// (unordered: NaN counts) picks a row of table, which moves their indices to the front;
// all eight lanes are stored at idx[n] and n grows by the number of set bits.
TEXT ·packAVX2(SB), NOSPLIT, $0-64
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ idx_base+24(FP), DI
	MOVQ table+48(FP), R8
	XORQ AX, AX                 // n
	XORQ DX, DX                 // j
	VXORPS Y0, Y0, Y0
	VMOVDQU iota8<>(SB), Y1     // j, j+1, ..., j+7
	MOVL $8, R9
	VMOVD R9, X2
	VPBROADCASTD X2, Y2

packloop:
	CMPQ DX, CX
	JGE  packdone
	VMOVUPS   (SI)(DX*4), Y3
	VCMPPS    $4, Y0, Y3, Y4    // NEQ_UQ
	VMOVMSKPS Y4, BX
	MOVQ      BX, R10
	SHLQ      $5, R10
	VMOVDQU   (R8)(R10*1), Y5
	VPERMD    Y1, Y5, Y6
	VMOVDQU   Y6, (DI)(AX*4)
	POPCNTL   BX, BX
	ADDQ      BX, AX
	VPADDD    Y2, Y1, Y1
	ADDQ      $8, DX
	JMP       packloop

packdone:
	VZEROUPPER
	MOVQ AX, ret+56(FP)
	RET

// The column kernels: see gatherGeneric and scatterGeneric. A panel is 128 bytes in four
// AVX2 or two AVX-512 registers; the AVX512W kernels take float64 panels of 256 bytes in
// four AVX-512 registers. Registers: AX the entry e, BX the end of column j (DX), CX the
// number of columns, R12 the column's row of om or pt, R13 and R14 rows of y.

// func gather32AVX2(y, om []float32, ptr []int32, row []uint8, val []float32, w int)
TEXT ·gather32AVX2(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ om_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $2, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

gather32AVX2col:
	CMPQ    DX, CX
	JGE     gather32AVX2done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     gather32AVX2next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &om[j·w]
	VMOVUPS (R12), Y0
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3

gather32AVX2ent:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
	VBROADCASTSS 0(R11)(AX*4), Y8
	VMOVUPS (R13), Y4
	VMOVUPS 32(R13), Y5
	VMOVUPS 64(R13), Y6
	VMOVUPS 96(R13), Y7
	VFMADD231PS Y0, Y8, Y4
	VFMADD231PS Y1, Y8, Y5
	VFMADD231PS Y2, Y8, Y6
	VFMADD231PS Y3, Y8, Y7
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, 32(R13)
	VMOVUPS Y6, 64(R13)
	VMOVUPS Y7, 96(R13)
	INCQ    AX
	CMPQ    AX, BX
	JLT     gather32AVX2ent

gather32AVX2next:
	MOVQ BX, AX
	INCQ DX
	JMP  gather32AVX2col

gather32AVX2done:
	VZEROUPPER
	RET

// func scatter32AVX2(y, pt []float32, ptr []int32, row []uint8, val []float32, w int)
TEXT ·scatter32AVX2(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $2, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

scatter32AVX2col:
	CMPQ    DX, CX
	JGE     scatter32AVX2done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     scatter32AVX2next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &pt[j·w]
	VMOVUPS (R12), Y0 // even chain from pt
	VMOVUPS 32(R12), Y1
	VMOVUPS 64(R12), Y2
	VMOVUPS 96(R12), Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

scatter32AVX2pair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     scatter32AVX2last
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
	VBROADCASTSS 0(R11)(AX*4), Y8
	VBROADCASTSS 4(R11)(AX*4), Y9
	VFMADD231PS (R13), Y8, Y0
	VFMADD231PS 32(R13), Y8, Y1
	VFMADD231PS 64(R13), Y8, Y2
	VFMADD231PS 96(R13), Y8, Y3
	VFMADD231PS (R14), Y9, Y4
	VFMADD231PS 32(R14), Y9, Y5
	VFMADD231PS 64(R14), Y9, Y6
	VFMADD231PS 96(R14), Y9, Y7
	ADDQ    $2, AX
	JMP     scatter32AVX2pair

scatter32AVX2last:
	CMPQ    AX, BX
	JGE     scatter32AVX2store
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	VBROADCASTSS 0(R11)(AX*4), Y8
	VFMADD231PS (R13), Y8, Y0
	VFMADD231PS 32(R13), Y8, Y1
	VFMADD231PS 64(R13), Y8, Y2
	VFMADD231PS 96(R13), Y8, Y3

scatter32AVX2store:
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)

scatter32AVX2next:
	MOVQ BX, AX
	INCQ DX
	JMP  scatter32AVX2col

scatter32AVX2done:
	VZEROUPPER
	RET

// func gather64AVX2(y, om []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·gather64AVX2(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ om_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

gather64AVX2col:
	CMPQ    DX, CX
	JGE     gather64AVX2done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     gather64AVX2next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &om[j·w]
	VMOVUPD (R12), Y0
	VMOVUPD 32(R12), Y1
	VMOVUPD 64(R12), Y2
	VMOVUPD 96(R12), Y3

gather64AVX2ent:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Y8
	VMOVUPD (R13), Y4
	VMOVUPD 32(R13), Y5
	VMOVUPD 64(R13), Y6
	VMOVUPD 96(R13), Y7
	VFMADD231PD Y0, Y8, Y4
	VFMADD231PD Y1, Y8, Y5
	VFMADD231PD Y2, Y8, Y6
	VFMADD231PD Y3, Y8, Y7
	VMOVUPD Y4, (R13)
	VMOVUPD Y5, 32(R13)
	VMOVUPD Y6, 64(R13)
	VMOVUPD Y7, 96(R13)
	INCQ    AX
	CMPQ    AX, BX
	JLT     gather64AVX2ent

gather64AVX2next:
	MOVQ BX, AX
	INCQ DX
	JMP  gather64AVX2col

gather64AVX2done:
	VZEROUPPER
	RET

// func scatter64AVX2(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·scatter64AVX2(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

scatter64AVX2col:
	CMPQ    DX, CX
	JGE     scatter64AVX2done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     scatter64AVX2next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &pt[j·w]
	VMOVUPD (R12), Y0 // even chain from pt
	VMOVUPD 32(R12), Y1
	VMOVUPD 64(R12), Y2
	VMOVUPD 96(R12), Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

scatter64AVX2pair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     scatter64AVX2last
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Y8
	VCVTSS2SD    4(R11)(AX*4), X9, X9
	VBROADCASTSD X9, Y9
	VFMADD231PD (R13), Y8, Y0
	VFMADD231PD 32(R13), Y8, Y1
	VFMADD231PD 64(R13), Y8, Y2
	VFMADD231PD 96(R13), Y8, Y3
	VFMADD231PD (R14), Y9, Y4
	VFMADD231PD 32(R14), Y9, Y5
	VFMADD231PD 64(R14), Y9, Y6
	VFMADD231PD 96(R14), Y9, Y7
	ADDQ    $2, AX
	JMP     scatter64AVX2pair

scatter64AVX2last:
	CMPQ    AX, BX
	JGE     scatter64AVX2store
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Y8
	VFMADD231PD (R13), Y8, Y0
	VFMADD231PD 32(R13), Y8, Y1
	VFMADD231PD 64(R13), Y8, Y2
	VFMADD231PD 96(R13), Y8, Y3

scatter64AVX2store:
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	VMOVUPD Y0, (R12)
	VMOVUPD Y1, 32(R12)
	VMOVUPD Y2, 64(R12)
	VMOVUPD Y3, 96(R12)

scatter64AVX2next:
	MOVQ BX, AX
	INCQ DX
	JMP  scatter64AVX2col

scatter64AVX2done:
	VZEROUPPER
	RET

// func gather32AVX512(y, om []float32, ptr []int32, row []uint8, val []float32, w int)
TEXT ·gather32AVX512(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ om_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $2, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

gather32AVX512col:
	CMPQ    DX, CX
	JGE     gather32AVX512done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     gather32AVX512next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &om[j·w]
	VMOVUPS (R12), Z0
	VMOVUPS 64(R12), Z1

gather32AVX512ent:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
	VBROADCASTSS 0(R11)(AX*4), Z8
	VMOVUPS (R13), Z4
	VMOVUPS 64(R13), Z5
	VFMADD231PS Z0, Z8, Z4
	VFMADD231PS Z1, Z8, Z5
	VMOVUPS Z4, (R13)
	VMOVUPS Z5, 64(R13)
	INCQ    AX
	CMPQ    AX, BX
	JLT     gather32AVX512ent

gather32AVX512next:
	MOVQ BX, AX
	INCQ DX
	JMP  gather32AVX512col

gather32AVX512done:
	VZEROUPPER
	RET

// func scatter32AVX512(y, pt []float32, ptr []int32, row []uint8, val []float32, w int)
TEXT ·scatter32AVX512(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $2, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

scatter32AVX512col:
	CMPQ    DX, CX
	JGE     scatter32AVX512done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     scatter32AVX512next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &pt[j·w]
	VMOVUPS (R12), Z0 // even chain from pt
	VMOVUPS 64(R12), Z1
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5

scatter32AVX512pair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     scatter32AVX512last
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
	VBROADCASTSS 0(R11)(AX*4), Z8
	VBROADCASTSS 4(R11)(AX*4), Z9
	VFMADD231PS (R13), Z8, Z0
	VFMADD231PS 64(R13), Z8, Z1
	VFMADD231PS (R14), Z9, Z4
	VFMADD231PS 64(R14), Z9, Z5
	ADDQ    $2, AX
	JMP     scatter32AVX512pair

scatter32AVX512last:
	CMPQ    AX, BX
	JGE     scatter32AVX512store
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	VBROADCASTSS 0(R11)(AX*4), Z8
	VFMADD231PS (R13), Z8, Z0
	VFMADD231PS 64(R13), Z8, Z1

scatter32AVX512store:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VMOVUPS Z0, (R12)
	VMOVUPS Z1, 64(R12)

scatter32AVX512next:
	MOVQ BX, AX
	INCQ DX
	JMP  scatter32AVX512col

scatter32AVX512done:
	VZEROUPPER
	RET

// func gather64AVX512(y, om []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·gather64AVX512(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ om_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

gather64AVX512col:
	CMPQ    DX, CX
	JGE     gather64AVX512done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     gather64AVX512next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &om[j·w]
	VMOVUPD (R12), Z0
	VMOVUPD 64(R12), Z1

gather64AVX512ent:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VMOVUPD (R13), Z4
	VMOVUPD 64(R13), Z5
	VFMADD231PD Z0, Z8, Z4
	VFMADD231PD Z1, Z8, Z5
	VMOVUPD Z4, (R13)
	VMOVUPD Z5, 64(R13)
	INCQ    AX
	CMPQ    AX, BX
	JLT     gather64AVX512ent

gather64AVX512next:
	MOVQ BX, AX
	INCQ DX
	JMP  gather64AVX512col

gather64AVX512done:
	VZEROUPPER
	RET

// func scatter64AVX512(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·scatter64AVX512(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

scatter64AVX512col:
	CMPQ    DX, CX
	JGE     scatter64AVX512done
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     scatter64AVX512next
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &pt[j·w]
	VMOVUPD (R12), Z0 // even chain from pt
	VMOVUPD 64(R12), Z1
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5

scatter64AVX512pair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     scatter64AVX512last
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VCVTSS2SD    4(R11)(AX*4), X9, X9
	VBROADCASTSD X9, Z9
	VFMADD231PD (R13), Z8, Z0
	VFMADD231PD 64(R13), Z8, Z1
	VFMADD231PD (R14), Z9, Z4
	VFMADD231PD 64(R14), Z9, Z5
	ADDQ    $2, AX
	JMP     scatter64AVX512pair

scatter64AVX512last:
	CMPQ    AX, BX
	JGE     scatter64AVX512store
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VFMADD231PD (R13), Z8, Z0
	VFMADD231PD 64(R13), Z8, Z1

scatter64AVX512store:
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VMOVUPD Z0, (R12)
	VMOVUPD Z1, 64(R12)

scatter64AVX512next:
	MOVQ BX, AX
	INCQ DX
	JMP  scatter64AVX512col

scatter64AVX512done:
	VZEROUPPER
	RET

// func gather64AVX512W(y, om []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·gather64AVX512W(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ om_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

gather64AVX512Wcol:
	CMPQ    DX, CX
	JGE     gather64AVX512Wdone
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     gather64AVX512Wnext
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &om[j·w]
	VMOVUPD (R12), Z0
	VMOVUPD 64(R12), Z1
	VMOVUPD 128(R12), Z2
	VMOVUPD 192(R12), Z3

gather64AVX512Went:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VMOVUPD (R13), Z4
	VMOVUPD 64(R13), Z5
	VMOVUPD 128(R13), Z6
	VMOVUPD 192(R13), Z7
	VFMADD231PD Z0, Z8, Z4
	VFMADD231PD Z1, Z8, Z5
	VFMADD231PD Z2, Z8, Z6
	VFMADD231PD Z3, Z8, Z7
	VMOVUPD Z4, (R13)
	VMOVUPD Z5, 64(R13)
	VMOVUPD Z6, 128(R13)
	VMOVUPD Z7, 192(R13)
	INCQ    AX
	CMPQ    AX, BX
	JLT     gather64AVX512Went

gather64AVX512Wnext:
	MOVQ BX, AX
	INCQ DX
	JMP  gather64AVX512Wcol

gather64AVX512Wdone:
	VZEROUPPER
	RET

// func scatter64AVX512W(y, pt []float64, ptr []int32, row []uint8, val []float32, w int)
TEXT ·scatter64AVX512W(SB), NOSPLIT, $0-128
	MOVQ y_base+0(FP), DI
	MOVQ pt_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ $3, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]

scatter64AVX512Wcol:
	CMPQ    DX, CX
	JGE     scatter64AVX512Wdone
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     scatter64AVX512Wnext
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &pt[j·w]
	VMOVUPD (R12), Z0 // even chain from pt
	VMOVUPD 64(R12), Z1
	VMOVUPD 128(R12), Z2
	VMOVUPD 192(R12), Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

scatter64AVX512Wpair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     scatter64AVX512Wlast
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VCVTSS2SD    4(R11)(AX*4), X9, X9
	VBROADCASTSD X9, Z9
	VFMADD231PD (R13), Z8, Z0
	VFMADD231PD 64(R13), Z8, Z1
	VFMADD231PD 128(R13), Z8, Z2
	VFMADD231PD 192(R13), Z8, Z3
	VFMADD231PD (R14), Z9, Z4
	VFMADD231PD 64(R14), Z9, Z5
	VFMADD231PD 128(R14), Z9, Z6
	VFMADD231PD 192(R14), Z9, Z7
	ADDQ    $2, AX
	JMP     scatter64AVX512Wpair

scatter64AVX512Wlast:
	CMPQ    AX, BX
	JGE     scatter64AVX512Wstore
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	VCVTSS2SD    0(R11)(AX*4), X8, X8
	VBROADCASTSD X8, Z8
	VFMADD231PD (R13), Z8, Z0
	VFMADD231PD 64(R13), Z8, Z1
	VFMADD231PD 128(R13), Z8, Z2
	VFMADD231PD 192(R13), Z8, Z3

scatter64AVX512Wstore:
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	VMOVUPD Z0, (R12)
	VMOVUPD Z1, 64(R12)
	VMOVUPD Z2, 128(R12)
	VMOVUPD Z3, 192(R12)

scatter64AVX512Wnext:
	MOVQ BX, AX
	INCQ DX
	JMP  scatter64AVX512Wcol

scatter64AVX512Wdone:
	VZEROUPPER
	RET

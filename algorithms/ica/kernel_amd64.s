//go:build amd64 && !purego

#include "textflag.h"

// Must be kept in sync with wzGeneric and gzGeneric (kernel.go): the same fused
// multiply-adds in the same order for every element, four lanes of i at a time. To hide
// the latency of the FMA, wzAVX2 computes four frames at once and gzAVX2 four columns j
// at once: independent sums, each still in its own order. rows ≥ 1, k ≥ 1, kp a
// multiple of 4 (the callers check the slice bounds).

// func wzAVX2(y, z, wt []float64, rows, k, kp int)
TEXT ·wzAVX2(SB), NOSPLIT, $0-96
	MOVQ y_base+0(FP), DI
	MOVQ z_base+24(FP), SI
	MOVQ wt_base+48(FP), DX
	MOVQ rows+72(FP), R8
	MOVQ k+80(FP), R9
	MOVQ kp+88(FP), R10
	SHLQ $3, R10           // row stride of y and wt in bytes
	LEAQ (R9*8), BX        // row stride of z in bytes
	LEAQ (BX)(BX*2), R14   // three rows of z
	TESTQ R9, R9
	JZ    wzdone

wzrow4:
	CMPQ R8, $4
	JLT  wztail
	XORQ R11, R11 // byte offset of the lanes i

wzlanes4:
	VXORPD Y0, Y0, Y0 // acc of frames f, f+1, f+2, f+3 = +0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   SI, R12           // &z[f·k + j]
	LEAQ   (DX)(R11*1), R13  // &wt[j·kp + i]
	MOVQ   R9, CX

wzj4:
	VMOVUPD      (R13), Y4
	VBROADCASTSD (R12), Y5
	VFMADD231PD  Y4, Y5, Y0 // acc = z_fj·wt[j][i] + acc
	VBROADCASTSD (R12)(BX*1), Y6
	VFMADD231PD  Y4, Y6, Y1
	VBROADCASTSD (R12)(BX*2), Y7
	VFMADD231PD  Y4, Y7, Y2
	VBROADCASTSD (R12)(R14*1), Y8
	VFMADD231PD  Y4, Y8, Y3
	ADDQ         $8, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          wzj4
	LEAQ         (DI)(R11*1), AX
	VMOVUPD      Y0, (AX)
	VMOVUPD      Y1, (AX)(R10*1)
	VMOVUPD      Y2, (AX)(R10*2)
	ADDQ         R10, AX
	VMOVUPD      Y3, (AX)(R10*2)
	ADDQ         $32, R11
	CMPQ         R11, R10
	JLT          wzlanes4
	LEAQ         (SI)(BX*4), SI  // four frames on
	LEAQ         (DI)(R10*4), DI
	SUBQ         $4, R8
	JMP          wzrow4

wztail:
	TESTQ R8, R8
	JZ    wzdone

wzrow:
	XORQ R11, R11

wzlanes:
	VXORPD Y0, Y0, Y0
	MOVQ   SI, R12
	LEAQ   (DX)(R11*1), R13
	MOVQ   R9, CX

wzj:
	VBROADCASTSD (R12), Y1
	VFMADD231PD  (R13), Y1, Y0
	ADDQ         $8, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          wzj
	VMOVUPD      Y0, (DI)(R11*1)
	ADDQ         $32, R11
	CMPQ         R11, R10
	JLT          wzlanes
	ADDQ         BX, SI
	ADDQ         R10, DI
	DECQ         R8
	JNZ          wzrow

wzdone:
	VZEROUPPER
	RET

// func gzAVX2(gt, z, y []float64, rows, k, kp int)
TEXT ·gzAVX2(SB), NOSPLIT, $0-96
	MOVQ gt_base+0(FP), DI
	MOVQ z_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ rows+72(FP), R8
	MOVQ k+80(FP), R14
	LEAQ (R14*8), R9 // row stride of z in bytes
	MOVQ kp+88(FP), R10
	SHLQ $3, R10     // row stride of y and gt in bytes
	TESTQ R8, R8
	JZ    gzdone

gzj4:
	CMPQ R14, $4
	JLT  gztail
	XORQ R11, R11 // byte offset of the lanes i

gzlanes4:
	LEAQ         (DI)(R11*1), AX
	VMOVUPD      (AX), Y0 // acc of columns j, j+1, j+2, j+3 = gt[j…j+3][i]
	VMOVUPD      (AX)(R10*1), Y1
	VMOVUPD      (AX)(R10*2), Y2
	ADDQ         R10, AX
	VMOVUPD      (AX)(R10*2), Y3
	MOVQ         SI, R12          // &z[0·k + j]
	LEAQ         (DX)(R11*1), R13 // &y[0·kp + i]
	MOVQ         R8, CX

gzf4:
	VMOVUPD      (R13), Y4
	VBROADCASTSD (R12), Y5
	VFMADD231PD  Y4, Y5, Y0 // acc = z_fj·y_fi + acc
	VBROADCASTSD 8(R12), Y6
	VFMADD231PD  Y4, Y6, Y1
	VBROADCASTSD 16(R12), Y7
	VFMADD231PD  Y4, Y7, Y2
	VBROADCASTSD 24(R12), Y8
	VFMADD231PD  Y4, Y8, Y3
	ADDQ         R9, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          gzf4
	LEAQ         (DI)(R11*1), AX
	VMOVUPD      Y0, (AX)
	VMOVUPD      Y1, (AX)(R10*1)
	VMOVUPD      Y2, (AX)(R10*2)
	ADDQ         R10, AX
	VMOVUPD      Y3, (AX)(R10*2)
	ADDQ         $32, R11
	CMPQ         R11, R10
	JLT          gzlanes4
	ADDQ         $32, SI          // four columns on
	LEAQ         (DI)(R10*4), DI
	SUBQ         $4, R14
	JMP          gzj4

gztail:
	TESTQ R14, R14
	JZ    gzdone

gzj:
	XORQ R11, R11

gzlanes:
	VMOVUPD      (DI)(R11*1), Y0
	MOVQ         SI, R12
	LEAQ         (DX)(R11*1), R13
	MOVQ         R8, CX

gzf:
	VBROADCASTSD (R12), Y1
	VFMADD231PD  (R13), Y1, Y0
	ADDQ         R9, R12
	ADDQ         R10, R13
	DECQ         CX
	JNZ          gzf
	VMOVUPD      Y0, (DI)(R11*1)
	ADDQ         $32, R11
	CMPQ         R11, R10
	JLT          gzlanes
	ADDQ         $8, SI
	ADDQ         R10, DI
	DECQ         R14
	JNZ          gzj

gzdone:
	VZEROUPPER
	RET

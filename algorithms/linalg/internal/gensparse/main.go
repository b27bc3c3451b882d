// Command gensparse writes algorithms/linalg/sparse_amd64.s, the AVX2 and AVX-512
// kernels of linalg's sparse products: go generate in algorithms/linalg runs it. The
// kernels of one kind differ only in register width, element type and panel width, so
// they are written from one template each here rather than by hand; the twins they must
// match are in sparse_kernel.go.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
)

func main() {
	out := flag.String("o", "sparse_amd64.s", "output `file`")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(generate()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate returns the whole assembly file.
func generate() string {
	var b strings.Builder
	b.WriteString(prologue)
	b.WriteString(columnDoc)
	for _, isa := range []isa{avx2, avx512} {
		for _, k := range []kernel{{true, 4}, {false, 4}, {true, 8}, {false, 8}} {
			write(&b, k, isa)
		}
	}
	for _, gather := range []bool{true, false} {
		write(&b, kernel{gather, 8}, avx512w)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// isa is a register set: AVX2 (four ymm per 128-byte panel), AVX-512 (two zmm), or
// AVX-512 on 256-byte float64 panels (four zmm).
type isa struct {
	name string
	reg  string // register prefix
	nv   int    // registers per panel
	vb   int    // bytes per register
}

var (
	avx2    = isa{"AVX2", "Y", 4, 32}
	avx512  = isa{"AVX512", "Z", 2, 64}
	avx512w = isa{"AVX512W", "Z", 4, 64}
)

// kernel is a gather (y += x·Ω, column by column) or a scatter (Pᵀ += xᵀ·y) on elements
// of size bytes (4: float32, 8: float64).
type kernel struct {
	gather bool
	size   int
}

// write appends the kernel k for the register set s.
func write(b *strings.Builder, k kernel, s isa) {
	name, second, typ, sfx, shift := "scatter", "pt", "float32", "PS", "$2"
	if k.gather {
		name, second = "gather", "om"
	}
	if k.size == 8 {
		typ, sfx, shift = "float64", "PD", "$3"
	}
	name = fmt.Sprintf("%s%d%s", name, 8*k.size, s.name)
	reg := func(i int) string { return fmt.Sprintf("%s%d", s.reg, i) }
	off := func(i int) string {
		if i == 0 {
			return ""
		}
		return fmt.Sprint(i * s.vb)
	}
	mov, fma, add := "VMOVU"+sfx, "VFMADD231"+sfx, "VADD"+sfx
	// bc broadcasts val[e + off/4] into register r (through x for float64).
	bc := func(o int, r, x string) string {
		if k.size == 4 {
			return fmt.Sprintf("\tVBROADCASTSS %d(R11)(AX*4), %s\n", o, r)
		}
		return fmt.Sprintf("\tVCVTSS2SD    %d(R11)(AX*4), %s, %s\n\tVBROADCASTSD %s, %s\n", o, x, x, x, r)
	}
	each := func(format func(i int) string) string {
		var t strings.Builder
		for i := range s.nv {
			t.WriteString(format(i))
		}
		return t.String()
	}
	r := strings.NewReplacer("NAME", name, "SECOND", second, "SHIFT", shift)
	fmt.Fprintf(b, "// func %s(y, %s []%s, ptr []int32, row []uint8, val []float32, w int)\n", name, second, typ)
	fmt.Fprintf(b, "TEXT ·%s(SB), NOSPLIT, $0-128\n", name)
	b.WriteString(r.Replace(head))
	b.WriteString(r.Replace(colHead))
	first := true
	b.WriteString(each(func(i int) string {
		line := fmt.Sprintf("\t%s %s(R12), %s", mov, off(i), reg(i))
		if !k.gather && first {
			line += " // even chain from pt"
		}
		first = false
		return line + "\n"
	}))
	if k.gather {
		b.WriteString(r.Replace(gatherEntry))
		b.WriteString(bc(0, reg(8), "X8"))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s(R13), %s\n", mov, off(i), reg(i+4)) }))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s, %s, %s\n", fma, reg(i), reg(8), reg(i+4)) }))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s, %s(R13)\n", mov, reg(i+4), off(i)) }))
		b.WriteString(r.Replace(gatherNext))
	} else {
		b.WriteString(each(func(i int) string {
			if s.reg == "Z" {
				return fmt.Sprintf("\tVPXORD %s, %s, %s\n", reg(i+4), reg(i+4), reg(i+4))
			}
			return fmt.Sprintf("\tVXOR%s %s, %s, %s\n", sfx, reg(i+4), reg(i+4), reg(i+4))
		}))
		b.WriteString(r.Replace(scatterPair))
		b.WriteString(bc(0, reg(8), "X8") + bc(4, reg(9), "X9"))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s(R13), %s, %s\n", fma, off(i), reg(8), reg(i)) }))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s(R14), %s, %s\n", fma, off(i), reg(9), reg(i+4)) }))
		b.WriteString(r.Replace(scatterLast))
		b.WriteString(bc(0, reg(8), "X8"))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s(R13), %s, %s\n", fma, off(i), reg(8), reg(i)) }))
		b.WriteString(r.Replace("\nNAMEstore:\n"))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s, %s, %s\n", add, reg(i+4), reg(i), reg(i)) }))
		b.WriteString(each(func(i int) string { return fmt.Sprintf("\t%s %s, %s(R12)\n", mov, reg(i), off(i)) }))
	}
	b.WriteString(r.Replace(tail))
	b.WriteString("\n")
}

const head = `	MOVQ y_base+0(FP), DI
	MOVQ SECOND_base+24(FP), SI
	MOVQ ptr_base+48(FP), R8
	MOVQ ptr_len+56(FP), CX
	DECQ CX                     // columns
	MOVQ row_base+72(FP), R9
	MOVQ val_base+96(FP), R11
	MOVQ w+120(FP), R10
	SHLQ SHIFT, R10                // row stride in bytes
	XORQ DX, DX                 // j
	MOVLQSX (R8), AX            // e = ptr[0]
`

const colHead = `
NAMEcol:
	CMPQ    DX, CX
	JGE     NAMEdone
	MOVLQSX 4(R8)(DX*4), BX     // ptr[j+1]
	CMPQ    AX, BX
	JGE     NAMEnext
	MOVQ    DX, R12
	IMULQ   R10, R12
	ADDQ    SI, R12             // &SECOND[j·w]
`

const gatherEntry = `
NAMEent:
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13             // &y[row[e]·w]
`

const gatherNext = `	INCQ    AX
	CMPQ    AX, BX
	JLT     NAMEent
`

const scatterPair = `
NAMEpair:
	LEAQ    1(AX), R13
	CMPQ    R13, BX
	JGE     NAMElast
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
	MOVBQZX 1(R9)(AX*1), R14
	IMULQ   R10, R14
	ADDQ    DI, R14
`

const scatterLast = `	ADDQ    $2, AX
	JMP     NAMEpair

NAMElast:
	CMPQ    AX, BX
	JGE     NAMEstore
	MOVBQZX (R9)(AX*1), R13
	IMULQ   R10, R13
	ADDQ    DI, R13
`

const tail = `
NAMEnext:
	MOVQ BX, AX
	INCQ DX
	JMP  NAMEcol

NAMEdone:
	VZEROUPPER
	RET
`

const columnDoc = `// The column kernels: see gatherGeneric and scatterGeneric. A panel is 128 bytes in four
// AVX2 or two AVX-512 registers; the AVX512W kernels take float64 panels of 256 bytes in
// four AVX-512 registers. Registers: AX the entry e, BX the end of column j (DX), CX the
// number of columns, R12 the column's row of om or pt, R13 and R14 rows of y.

`

// prologue is the file's header and the pack kernel, which has no variants.
const prologue = `//go:build amd64 && !purego

// Code generated by gensparse (algorithms/linalg/internal/gensparse); DO NOT EDIT.

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

`

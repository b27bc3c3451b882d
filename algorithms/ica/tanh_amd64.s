//go:build amd64 && !purego

#include "textflag.h"

// Must be kept in sync with tanhScalar (tanh.go) and expNegHalfSqScalar (exp.go): the same
// operations in the same order, so that the bits agree. Constants: 4 copies of each, 32
// bytes apart.

// absmask
DATA tanhc<>+0(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+8(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+16(SB)/8, $0x7fffffffffffffff
DATA tanhc<>+24(SB)/8, $0x7fffffffffffffff
// signmask
DATA tanhc<>+32(SB)/8, $0x8000000000000000
DATA tanhc<>+40(SB)/8, $0x8000000000000000
DATA tanhc<>+48(SB)/8, $0x8000000000000000
DATA tanhc<>+56(SB)/8, $0x8000000000000000
// minus2
DATA tanhc<>+64(SB)/8, $0xc000000000000000
DATA tanhc<>+72(SB)/8, $0xc000000000000000
DATA tanhc<>+80(SB)/8, $0xc000000000000000
DATA tanhc<>+88(SB)/8, $0xc000000000000000
// invln2
DATA tanhc<>+96(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+104(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+112(SB)/8, $0x3ff71547652b82fe
DATA tanhc<>+120(SB)/8, $0x3ff71547652b82fe
// ln2hi
DATA tanhc<>+128(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+136(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+144(SB)/8, $0x3fe62e42fee00000
DATA tanhc<>+152(SB)/8, $0x3fe62e42fee00000
// ln2lo
DATA tanhc<>+160(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+168(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+176(SB)/8, $0x3dea39ef35793c76
DATA tanhc<>+184(SB)/8, $0x3dea39ef35793c76
// c13
DATA tanhc<>+192(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+200(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+208(SB)/8, $0x3de6124613a86d09
DATA tanhc<>+216(SB)/8, $0x3de6124613a86d09
// c12
DATA tanhc<>+224(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+232(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+240(SB)/8, $0x3e21eed8eff8d898
DATA tanhc<>+248(SB)/8, $0x3e21eed8eff8d898
// c11
DATA tanhc<>+256(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+264(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+272(SB)/8, $0x3e5ae64567f544e4
DATA tanhc<>+280(SB)/8, $0x3e5ae64567f544e4
// c10
DATA tanhc<>+288(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+296(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+304(SB)/8, $0x3e927e4fb7789f5c
DATA tanhc<>+312(SB)/8, $0x3e927e4fb7789f5c
// c9
DATA tanhc<>+320(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+328(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+336(SB)/8, $0x3ec71de3a556c734
DATA tanhc<>+344(SB)/8, $0x3ec71de3a556c734
// c8
DATA tanhc<>+352(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+360(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+368(SB)/8, $0x3efa01a01a01a01a
DATA tanhc<>+376(SB)/8, $0x3efa01a01a01a01a
// c7
DATA tanhc<>+384(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+392(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+400(SB)/8, $0x3f2a01a01a01a01a
DATA tanhc<>+408(SB)/8, $0x3f2a01a01a01a01a
// c6
DATA tanhc<>+416(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+424(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+432(SB)/8, $0x3f56c16c16c16c17
DATA tanhc<>+440(SB)/8, $0x3f56c16c16c16c17
// c5
DATA tanhc<>+448(SB)/8, $0x3f81111111111111
DATA tanhc<>+456(SB)/8, $0x3f81111111111111
DATA tanhc<>+464(SB)/8, $0x3f81111111111111
DATA tanhc<>+472(SB)/8, $0x3f81111111111111
// c4
DATA tanhc<>+480(SB)/8, $0x3fa5555555555555
DATA tanhc<>+488(SB)/8, $0x3fa5555555555555
DATA tanhc<>+496(SB)/8, $0x3fa5555555555555
DATA tanhc<>+504(SB)/8, $0x3fa5555555555555
// c3
DATA tanhc<>+512(SB)/8, $0x3fc5555555555555
DATA tanhc<>+520(SB)/8, $0x3fc5555555555555
DATA tanhc<>+528(SB)/8, $0x3fc5555555555555
DATA tanhc<>+536(SB)/8, $0x3fc5555555555555
// c2
DATA tanhc<>+544(SB)/8, $0x3fe0000000000000
DATA tanhc<>+552(SB)/8, $0x3fe0000000000000
DATA tanhc<>+560(SB)/8, $0x3fe0000000000000
DATA tanhc<>+568(SB)/8, $0x3fe0000000000000
// one
DATA tanhc<>+576(SB)/8, $0x3ff0000000000000
DATA tanhc<>+584(SB)/8, $0x3ff0000000000000
DATA tanhc<>+592(SB)/8, $0x3ff0000000000000
DATA tanhc<>+600(SB)/8, $0x3ff0000000000000
// roundbias
DATA tanhc<>+608(SB)/8, $0x4338000000000000
DATA tanhc<>+616(SB)/8, $0x4338000000000000
DATA tanhc<>+624(SB)/8, $0x4338000000000000
DATA tanhc<>+632(SB)/8, $0x4338000000000000
// bias1023
DATA tanhc<>+640(SB)/8, $0x00000000000003ff
DATA tanhc<>+648(SB)/8, $0x00000000000003ff
DATA tanhc<>+656(SB)/8, $0x00000000000003ff
DATA tanhc<>+664(SB)/8, $0x00000000000003ff
// big
DATA tanhc<>+672(SB)/8, $0x4034000000000000
DATA tanhc<>+680(SB)/8, $0x4034000000000000
DATA tanhc<>+688(SB)/8, $0x4034000000000000
DATA tanhc<>+696(SB)/8, $0x4034000000000000
// minushalf
DATA tanhc<>+704(SB)/8, $0xbfe0000000000000
DATA tanhc<>+712(SB)/8, $0xbfe0000000000000
DATA tanhc<>+720(SB)/8, $0xbfe0000000000000
DATA tanhc<>+728(SB)/8, $0xbfe0000000000000
// expmin (−708)
DATA tanhc<>+736(SB)/8, $0xc086200000000000
DATA tanhc<>+744(SB)/8, $0xc086200000000000
DATA tanhc<>+752(SB)/8, $0xc086200000000000
DATA tanhc<>+760(SB)/8, $0xc086200000000000
// expln2u (ln 2 of math.Exp: upper part)
DATA tanhc<>+768(SB)/8, $0x3fe62e42fefa3000
DATA tanhc<>+776(SB)/8, $0x3fe62e42fefa3000
DATA tanhc<>+784(SB)/8, $0x3fe62e42fefa3000
DATA tanhc<>+792(SB)/8, $0x3fe62e42fefa3000
// expln2l (lower part)
DATA tanhc<>+800(SB)/8, $0x3d53de6af278ece6
DATA tanhc<>+808(SB)/8, $0x3d53de6af278ece6
DATA tanhc<>+816(SB)/8, $0x3d53de6af278ece6
DATA tanhc<>+824(SB)/8, $0x3d53de6af278ece6
// sixteenth
DATA tanhc<>+832(SB)/8, $0x3fb0000000000000
DATA tanhc<>+840(SB)/8, $0x3fb0000000000000
DATA tanhc<>+848(SB)/8, $0x3fb0000000000000
DATA tanhc<>+856(SB)/8, $0x3fb0000000000000
// two
DATA tanhc<>+864(SB)/8, $0x4000000000000000
DATA tanhc<>+872(SB)/8, $0x4000000000000000
DATA tanhc<>+880(SB)/8, $0x4000000000000000
DATA tanhc<>+888(SB)/8, $0x4000000000000000
GLOBL tanhc<>(SB), RODATA|NOPTR, $896

// func tanhAVX2(y []float64, a float64)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-32
	MOVQ y_base+0(FP), SI
	MOVQ y_len+8(FP), CX
	VBROADCASTSD a+24(FP), Y15
	VMOVUPD tanhc<>+576(SB), Y14
	SHRQ $2, CX
	JZ   done
loop:
	VMULPD (SI), Y15, Y0 // x = a·y
	VANDPD tanhc<>+0(SB), Y0, Y1 // |x|
	VANDPD tanhc<>+32(SB), Y0, Y2 // sign of x
	VMULPD tanhc<>+64(SB), Y1, Y3 // x2 = −2|x|
	VMULPD tanhc<>+96(SB), Y3, Y4
	VROUNDPD $0, Y4, Y4 // n = round(x2/ln 2), to nearest even
	VMOVAPD Y3, Y5
	VFNMADD231PD tanhc<>+128(SB), Y4, Y5 // r = x2 − n·ln2Hi
	VFNMADD231PD tanhc<>+160(SB), Y4, Y5 // r −= n·ln2Lo
	VMOVUPD tanhc<>+192(SB), Y6 // p = 1/13!
	VFMADD213PD tanhc<>+224(SB), Y5, Y6 // p = r·p + 1/12!
	VFMADD213PD tanhc<>+256(SB), Y5, Y6 // p = r·p + 1/11!
	VFMADD213PD tanhc<>+288(SB), Y5, Y6 // p = r·p + 1/10!
	VFMADD213PD tanhc<>+320(SB), Y5, Y6 // p = r·p + 1/9!
	VFMADD213PD tanhc<>+352(SB), Y5, Y6 // p = r·p + 1/8!
	VFMADD213PD tanhc<>+384(SB), Y5, Y6 // p = r·p + 1/7!
	VFMADD213PD tanhc<>+416(SB), Y5, Y6 // p = r·p + 1/6!
	VFMADD213PD tanhc<>+448(SB), Y5, Y6 // p = r·p + 1/5!
	VFMADD213PD tanhc<>+480(SB), Y5, Y6 // p = r·p + 1/4!
	VFMADD213PD tanhc<>+512(SB), Y5, Y6 // p = r·p + 1/3!
	VFMADD213PD tanhc<>+544(SB), Y5, Y6 // p = r·p + 1/2!
	VFMADD213PD Y14, Y5, Y6 // p = r·p + 1
	VFMADD213PD Y14, Y5, Y6 // p = r·p + 1
	VADDPD tanhc<>+608(SB), Y4, Y7
	VPADDQ tanhc<>+640(SB), Y7, Y7
	VPSLLQ $52, Y7, Y7 // 2ⁿ
	VMULPD Y7, Y6, Y6 // e = p·2ⁿ
	VSUBPD Y6, Y14, Y8 // 1 − e
	VADDPD Y6, Y14, Y9 // 1 + e
	VDIVPD Y9, Y8, Y8 // t = (1 − e)/(1 + e)
	VCMPPD $0x1e, tanhc<>+672(SB), Y1, Y10 // |x| > 20 (false for NaN)
	VBLENDVPD Y10, Y14, Y8, Y8 // t = 1 where |x| > 20
	VORPD Y2, Y8, Y8 // sign of x (t ≥ 0 or NaN)
	VMOVUPD Y8, (SI)
	ADDQ $32, SI
	DECQ CX
	JNZ  loop
done:
	VZEROUPPER
	RET

// func expAVX2(e, y []float64)
// exp(−v²/2) by the operations of expNegHalfSqScalar (exp.go), those of math.Exp's FMA
// path; 1/ln 2 and the Taylor coefficients 1/8! … 1/2! are the tanh's constants.
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ e_base+0(FP), DI
	MOVQ e_len+8(FP), CX
	MOVQ y_base+24(FP), SI
	VMOVUPD tanhc<>+576(SB), Y14 // 1
	VMOVUPD tanhc<>+864(SB), Y12 // 2
	VXORPD Y13, Y13, Y13 // 0
	SHRQ $2, CX
	JZ   edone
eloop:
	VMOVUPD (SI), Y0 // v
	VMULPD Y0, Y0, Y1 // v²
	VMULPD tanhc<>+704(SB), Y1, Y3 // x = v²·(−1/2)
	VMULPD tanhc<>+96(SB), Y3, Y4
	VROUNDPD $0, Y4, Y4 // n = round(x/ln 2), to nearest even
	VMOVAPD Y3, Y5
	VFNMADD231PD tanhc<>+768(SB), Y4, Y5 // r = x − n·ln2U
	VFNMADD231PD tanhc<>+800(SB), Y4, Y5 // r −= n·ln2L
	VMULPD tanhc<>+832(SB), Y5, Y5 // r /= 16
	VMOVUPD tanhc<>+352(SB), Y6 // p = 1/8!
	VFMADD213PD tanhc<>+384(SB), Y5, Y6 // p = p·r + 1/7!
	VFMADD213PD tanhc<>+416(SB), Y5, Y6 // p = p·r + 1/6!
	VFMADD213PD tanhc<>+448(SB), Y5, Y6 // p = p·r + 1/5!
	VFMADD213PD tanhc<>+480(SB), Y5, Y6 // p = p·r + 1/4!
	VFMADD213PD tanhc<>+512(SB), Y5, Y6 // p = p·r + 1/3!
	VFMADD213PD tanhc<>+544(SB), Y5, Y6 // p = p·r + 1/2!
	VFMADD213PD Y14, Y5, Y6 // p = p·r + 1
	VMULPD Y6, Y5, Y6 // y = r·p ≈ eʳ − 1
	VADDPD Y12, Y6, Y7
	VMULPD Y7, Y6, Y6 // y = y·(y + 2)
	VADDPD Y12, Y6, Y7
	VMULPD Y7, Y6, Y6 // y = y·(y + 2)
	VADDPD Y12, Y6, Y7
	VMULPD Y7, Y6, Y6 // y = y·(y + 2)
	VADDPD Y12, Y6, Y7
	VFMADD213PD Y14, Y7, Y6 // y = y·(y + 2) + 1
	VADDPD tanhc<>+608(SB), Y4, Y7
	VPADDQ tanhc<>+640(SB), Y7, Y7
	VPSLLQ $52, Y7, Y7 // 2ⁿ
	VMULPD Y7, Y6, Y6 // e = y·2ⁿ
	VCMPPD $0x11, tanhc<>+736(SB), Y3, Y10 // x < −708 (false for NaN)
	VBLENDVPD Y10, Y13, Y6, Y6 // e = 0 where x < −708
	VMOVUPD Y6, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  eloop
edone:
	VZEROUPPER
	RET

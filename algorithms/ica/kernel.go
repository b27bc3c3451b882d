package ica

import "math"

// The products of the parallel iteration. For a block's frames z_f (rows×k, row-major)
// and the unmixing matrix W, the block partial needs Y = Z·Wᵀ (y_fi = Σ_j w_ij·z_fj) and,
// after g is applied to Y, G = g(Y)ᵀ·Z (G_ij = Σ_f g(y_fi)·z_fj). With K of 2 to a few
// tens and blocks of a few frames, the BLAS spends most of its time in call overhead (two
// cgo calls of OpenBLAS per block cost more than the arithmetic for K = 4), so these
// products have their own loops: four lanes of i at a time with AVX2 and FMA where the
// CPU has them (kernel_amd64.s), and otherwise the same fused multiply-adds one lane at a
// time with math.FMA, which rounds once whether or not the CPU has FMA. Both sum in the
// same order (y_fi over j = 0, 1, …, k−1 from +0; G_ij over the frames in order), so they
// give the same bits (TestKernelBits), and the bits depend on no BLAS.
//
// Layout: Wᵀ and Y are stored with rows padded to kp = k rounded up to a multiple of 4,
// the padding of Wᵀ zero (so that the padding lanes of Y are zero); G is accumulated
// transposed, Gᵀ (k×kp), and copied out per block.

// parKernel holds Wᵀ for the products of one parallel iteration.
type parKernel struct {
	k, kp int
	wt    []float64 // k×kp: wt[j·kp+i] = w_ij, zero for i ≥ k
}

func newParKernel(k int) *parKernel {
	kp := (k + 3) &^ 3
	return &parKernel{k: k, kp: kp, wt: make([]float64, k*kp)}
}

// set stores Wᵀ of w (k×k, row-major).
func (pk *parKernel) set(w []float64) {
	k, kp := pk.k, pk.kp
	for i := range k {
		for j := range k {
			pk.wt[j*kp+i] = w[i*k+j]
		}
	}
}

// scratchLen is the scratch a worker needs for parallelBlock with k components.
func scratchLen(k int) int {
	kp := (k + 3) &^ 3
	return chunkRows*kp + k*kp
}

// wzGeneric stores Y = Z·Wᵀ for rows frames of z (row stride k) in y (row stride kp).
func wzGeneric(y, z, wt []float64, rows, k, kp int) {
	for f := range rows {
		zf := z[f*k : f*k+k]
		yf := y[f*kp : f*kp+kp]
		for i := range yf {
			acc := 0.0
			for j, v := range zf {
				acc = math.FMA(v, wt[j*kp+i], acc)
			}
			yf[i] = acc
		}
	}
}

// gzGeneric adds Yᵀ·Z to gt (k×kp, Gᵀ): gt[j·kp+i] += Σ_f y_fi·z_fj, frames in order.
func gzGeneric(gt, z, y []float64, rows, k, kp int) {
	for j := range k {
		row := gt[j*kp : j*kp+kp]
		for i := range row {
			acc := row[i]
			for f := range rows {
				acc = math.FMA(z[f*k+j], y[f*kp+i], acc)
			}
			row[i] = acc
		}
	}
}

// parallelBlock adds, over the rows z_f of a block (rows×k, row-major), g(W·z_f)·z_fᵀ to
// the k×k matrix dst[:k·k] (row-major) and g′(W·z_f) to dst[k·k:k·k+k]. pk holds Wᵀ and
// scratch has at least scratchLen(k) values. By chunks of chunkRows frames it forms Y,
// applies g in place and accumulates Gᵀ; the chunking does not change the bits (every
// sum runs over the frames in order).
func parallelBlock(dst, z []float64, rows int, pk *parKernel, scratch []float64, con contrast) {
	k, kp := pk.k, pk.kp
	y := scratch[:chunkRows*kp]
	gt := scratch[chunkRows*kp : chunkRows*kp+k*kp]
	clear(gt)
	gp := dst[k*k : k*k+k]
	for lo := 0; lo < rows; lo += chunkRows {
		r := min(chunkRows, rows-lo)
		zc := z[lo*k : (lo+r)*k]
		yc := y[:r*kp]
		wz(yc, zc, pk.wt, r, k, kp)
		con.apply(yc, kp, k, gp)
		gz(gt, zc, yc, r, k, kp)
	}
	for i := range k {
		for j := range k {
			dst[i*k+j] += gt[j*kp+i]
		}
	}
}

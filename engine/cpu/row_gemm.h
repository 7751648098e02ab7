#pragma once
// The batch-invariant GEMM of inference (docs/serving.md, "Batch invariance").
//
// OpenBLAS computes an element of C with a micro-kernel chosen by where the element falls in the
// (m, n) tiling and by the CPU it detected (main tile, edge tails, AVX2 or AVX-512 kernels; FMA or
// not), so the same row of A can give different bits beside other rows: a review's probability
// then depends on the batch it was scored in (seen on Zen 5: 0.522427 vs 0.522428). gemm_rows
// fixes the arithmetic of every element instead:
//
//   c[i][j] = (accumulate ? c[i][j] : 0) + a[i][0]·b[0][j] + a[i][1]·b[1][j] + ... (k ascending)
//
// each product and each sum rounded on its own (its source file is compiled with
// -ffp-contract=off, so no compiler fuses them into an FMA). The tiling, the vector width of the
// target clone the CPU picks and the number of rows change only which elements are computed
// together, never the operations of one element: row i of C is a function of row i of A and of B
// alone, bit for bit on every x86-64 CPU.
namespace senti::cpu {

// C (m, n) [+]= A (m, k) · B (k, n), all row-major with leading dimensions lda, ldb, ldc.
void gemm_rows(int m, int n, int k, const float* a, int lda, const float* b, int ldb,
               bool accumulate, float* c, int ldc);

}  // namespace senti::cpu

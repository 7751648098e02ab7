#pragma once
// SENTI_HD marks per-element math that the CUDA kernels and their CPU twins both call, so the two
// backends share one definition of every formula.
#if defined(__CUDACC__)
#define SENTI_HD __host__ __device__ __forceinline__
#else
#define SENTI_HD inline
#endif

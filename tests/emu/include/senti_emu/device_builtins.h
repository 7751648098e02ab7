#pragma once
// Emulated CUDA device: atomics, cache-hinted loads/stores and the device math of CUDA's headers
// (min/max overloads, fast-math intrinsics as their accurate versions, bit tricks). Included by
// senti_emu/device.h.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- Atomics (acq_rel read-modify-writes on the given address) --------------------------------
#define SENTI_EMU_ATOMIC_BUILTIN(name, builtin, T)                                   \
  inline T name(T* address, T val) { return builtin(address, val, __ATOMIC_ACQ_REL); }
SENTI_EMU_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, unsigned long long)
SENTI_EMU_ATOMIC_BUILTIN(atomicSub, __atomic_fetch_sub, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicSub, __atomic_fetch_sub, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, unsigned long long)
SENTI_EMU_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, unsigned long long)
SENTI_EMU_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, unsigned long long)
SENTI_EMU_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, int)
SENTI_EMU_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, unsigned int)
SENTI_EMU_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, unsigned long long)
#undef SENTI_EMU_ATOMIC_BUILTIN

#define SENTI_EMU_ATOMIC_CAS_LOOP(name, T, expr)                                       \
  inline T name(T* address, T val) {                                                  \
    return ::senti::emu::atomic_update<T>(address, [](T a, T b) -> T { return expr; }, val); \
  }
SENTI_EMU_ATOMIC_CAS_LOOP(atomicAdd, float, a + b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicAdd, double, a + b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMax, int, a > b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMax, unsigned int, a > b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMax, long long, a > b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMax, unsigned long long, a > b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMin, int, a < b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMin, unsigned int, a < b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMin, long long, a < b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicMin, unsigned long long, a < b ? a : b)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicInc, unsigned int, a >= b ? 0u : a + 1u)
SENTI_EMU_ATOMIC_CAS_LOOP(atomicDec, unsigned int, (a == 0u || a > b) ? b : a - 1u)
#undef SENTI_EMU_ATOMIC_CAS_LOOP
inline float atomicExch(float* address, float val) {
  float old;
  __atomic_exchange(address, &val, &old, __ATOMIC_ACQ_REL);
  return old;
}

#define SENTI_EMU_ATOMIC_CAS(T)                                                              \
  inline T atomicCAS(T* address, T compare, T val) {                                         \
    __atomic_compare_exchange_n(address, &compare, val, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); \
    return compare; /* the old value, whether or not the swap happened */                   \
  }
SENTI_EMU_ATOMIC_CAS(int)
SENTI_EMU_ATOMIC_CAS(unsigned int)
SENTI_EMU_ATOMIC_CAS(unsigned long long)
SENTI_EMU_ATOMIC_CAS(unsigned short)
#undef SENTI_EMU_ATOMIC_CAS

// ---- Cache-hinted loads and stores: plain memory accesses ----------------------------------------
template <typename T> inline T __ldg(const T* p) { return *p; }
template <typename T> inline T __ldcg(const T* p) { return *p; }
template <typename T> inline T __ldca(const T* p) { return *p; }
template <typename T> inline T __ldcs(const T* p) { return *p; }
template <typename T> inline T __ldlu(const T* p) { return *p; }
template <typename T> inline T __ldcv(const T* p) { return *p; }
template <typename T> inline void __stwb(T* p, T v) { *p = v; }
template <typename T> inline void __stcg(T* p, T v) { *p = v; }
template <typename T> inline void __stcs(T* p, T v) { *p = v; }
template <typename T> inline void __stwt(T* p, T v) { *p = v; }

// ---- min / max, as CUDA's math headers overload them ------------------------------------------
#define SENTI_EMU_MINMAX(T)                                         \
  inline constexpr T min(T a, T b) { return b < a ? b : a; }       \
  inline constexpr T max(T a, T b) { return a < b ? b : a; }
SENTI_EMU_MINMAX(int)
SENTI_EMU_MINMAX(unsigned int)
SENTI_EMU_MINMAX(long)
SENTI_EMU_MINMAX(unsigned long)
SENTI_EMU_MINMAX(long long)
SENTI_EMU_MINMAX(unsigned long long)
#undef SENTI_EMU_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double max(double a, float b) { return fmax(a, b); }
// Mixed integer types: the common type, as CUDA's mixed overloads do.
template <typename A, typename B,
          std::enable_if_t<std::is_integral_v<A> && std::is_integral_v<B> &&
                               !std::is_same_v<A, B>, int> = 0>
inline constexpr std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(b) < static_cast<C>(a) ? static_cast<C>(b) : static_cast<C>(a);
}
template <typename A, typename B,
          std::enable_if_t<std::is_integral_v<A> && std::is_integral_v<B> &&
                               !std::is_same_v<A, B>, int> = 0>
inline constexpr std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  return static_cast<C>(a) < static_cast<C>(b) ? static_cast<C>(b) : static_cast<C>(a);
}

// ---- Float intrinsics: the accurate functions (the emulator shows no fast-math error) ----------
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return powf(10.f, x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __frsqrt_rn(float x) { return 1.f / sqrtf(x); }
inline float rsqrtf(float x) { return 1.f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float __saturatef(float x) { return x > 0.f ? (x < 1.f ? x : 1.f) : 0.f; }  // NaN -> 0
inline int __float2int_rn(float x) { return static_cast<int>(nearbyintf(x)); }
inline int __float2int_rz(float x) { return static_cast<int>(x); }
inline float __int2float_rn(int x) { return static_cast<float>(x); }

// ---- Bit reinterpretation and integer intrinsics ----------------------------------------------
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline unsigned __float_as_uint(float x) { unsigned i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline float __uint_as_float(unsigned i) { float x; std::memcpy(&x, &i, 4); return x; }
inline long long __double_as_longlong(double x) { long long i; std::memcpy(&i, &x, 8); return i; }
inline double __longlong_as_double(long long i) { double x; std::memcpy(&x, &i, 8); return x; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline int __clzll(long long x) {
  return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x));
}
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
inline int __mul24(int a, int b) { return a * b; }
inline unsigned __umul24(unsigned a, unsigned b) { return a * b; }
inline int __mulhi(int a, int b) { return static_cast<int>((int64_t{a} * b) >> 32); }
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((uint64_t{a} * b) >> 32);
}

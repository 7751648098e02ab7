#pragma once
// Emulated CUDA device (tests/emu): CUDA's built-in vector types and dim3, with the same names,
// members and alignment as the toolkit's vector_types.h, plus the make_* constructors of
// vector_functions.h. Plain aggregates, so they are trivially copyable kernel arguments.
#define SENTI_EMU_VECTOR2(T, name, align)            \
  struct alignas(align) name {                      \
    T x, y;                                         \
  };                                                \
  inline name make_##name(T x, T y) { return {x, y}; }
#define SENTI_EMU_VECTOR3(T, name)                   \
  struct name {                                     \
    T x, y, z;                                      \
  };                                                \
  inline name make_##name(T x, T y, T z) { return {x, y, z}; }
#define SENTI_EMU_VECTOR4(T, name, align)            \
  struct alignas(align) name {                      \
    T x, y, z, w;                                   \
  };                                                \
  inline name make_##name(T x, T y, T z, T w) { return {x, y, z, w}; }

SENTI_EMU_VECTOR2(char, char2, 2)
SENTI_EMU_VECTOR2(unsigned char, uchar2, 2)
SENTI_EMU_VECTOR2(short, short2, 4)
SENTI_EMU_VECTOR2(unsigned short, ushort2, 4)
SENTI_EMU_VECTOR2(int, int2, 8)
SENTI_EMU_VECTOR2(unsigned int, uint2, 8)
SENTI_EMU_VECTOR2(float, float2, 8)
SENTI_EMU_VECTOR2(long long, longlong2, 16)
SENTI_EMU_VECTOR2(unsigned long long, ulonglong2, 16)
SENTI_EMU_VECTOR2(double, double2, 16)
SENTI_EMU_VECTOR3(int, int3)
SENTI_EMU_VECTOR3(unsigned int, uint3)
SENTI_EMU_VECTOR3(float, float3)
SENTI_EMU_VECTOR4(char, char4, 4)
SENTI_EMU_VECTOR4(unsigned char, uchar4, 4)
SENTI_EMU_VECTOR4(short, short4, 8)
SENTI_EMU_VECTOR4(unsigned short, ushort4, 8)
SENTI_EMU_VECTOR4(int, int4, 16)
SENTI_EMU_VECTOR4(unsigned int, uint4, 16)
SENTI_EMU_VECTOR4(float, float4, 16)
SENTI_EMU_VECTOR4(double, double4, 32)

#undef SENTI_EMU_VECTOR2
#undef SENTI_EMU_VECTOR3
#undef SENTI_EMU_VECTOR4

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
      : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

#pragma once
// Reading back what `senti export --format onnx` wrote: an initializer by name, one of its floats.
#include <cstring>
#include <stdexcept>
#include <string>

#include "host/onnx/onnx.pb.h"

namespace senti::test {

inline const onnx::TensorProto& initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return t;
  throw std::runtime_error("no initializer " + name);
}

// Element i of a float32 initializer stored as raw little-endian bytes.
inline float at(const onnx::TensorProto& t, size_t i) {
  float v;
  std::memcpy(&v, t.raw_data().data() + 4 * i, 4);
  return v;
}

}  // namespace senti::test

#pragma once
// A small builder for ONNX graphs (host/onnx/onnx.proto, ONNX's field numbers): named values,
// float and int64 initializers (raw little-endian data), nodes with attributes, typed graph inputs
// and outputs. Names are made unique by the builder, so graph pieces can be written as functions
// that take value names and return the names of what they made.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "host/onnx/onnx.pb.h"

namespace senti::onnx {

// A dimension of a graph input/output: a fixed size, or a named free one ("batch").
struct Dim {
  int64_t size = -1;
  std::string name;
  Dim(int64_t s) : size(s) {}                 // NOLINT: implicit on purpose ({4, "batch"})
  Dim(const char* n) : name(n) {}             // NOLINT
};

AttributeProto attr_int(const std::string& name, int64_t v);
AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v);
AttributeProto attr_float(const std::string& name, float v);
AttributeProto attr_string(const std::string& name, const std::string& v);

class GraphBuilder {
 public:
  explicit GraphBuilder(GraphProto* graph) : g_(graph) {}

  void input(const std::string& name, TensorProto::DataType type, const std::vector<Dim>& dims,
             const std::string& doc);
  void output(const std::string& name, TensorProto::DataType type, const std::vector<Dim>& dims,
              const std::string& doc);

  // Initializers; return the (unique) value name.
  std::string floats(const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& data);
  std::string int64s(const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<int64_t>& data);

  // A node with `outputs` results named after `name`; returns their names. An empty string in
  // `inputs` is an omitted optional input.
  std::vector<std::string> node(const std::string& op, const std::string& name,
                                const std::vector<std::string>& inputs, int outputs = 1,
                                const std::vector<AttributeProto>& attrs = {});
  // The single-output case.
  std::string op(const std::string& op, const std::string& name,
                 const std::vector<std::string>& inputs,
                 const std::vector<AttributeProto>& attrs = {}) {
    return node(op, name, inputs, 1, attrs)[0];
  }
  // Renames the value produced last under `from` to `to` (for graph outputs).
  void rename_output(const std::string& from, const std::string& to);

 private:
  std::string unique(const std::string& base);
  GraphProto* g_;
  std::vector<std::string> names_;
};

}  // namespace senti::onnx

#include "host/onnx/onnx_graph.h"

#include <algorithm>
#include <cstring>

#include "kernels/common/error.h"

namespace senti::onnx {
namespace {

void set_type(ValueInfoProto* v, TensorProto::DataType type, const std::vector<Dim>& dims) {
  TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  TensorShapeProto* shape = t->mutable_shape();
  for (const Dim& d : dims) {
    TensorShapeProto::Dimension* dim = shape->add_dim();
    if (d.name.empty()) dim->set_dim_value(d.size);
    else dim->set_dim_param(d.name);
  }
}

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {  // x86-64 and aarch64 are little-endian, as ONNX
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

int64_t count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (const int64_t d : dims) n *= d;
  return n;
}

}  // namespace

AttributeProto attr_int(const std::string& name, int64_t v) {
  AttributeProto a;
  a.set_name(name);
  a.set_type(AttributeProto::INT);
  a.set_i(v);
  return a;
}

AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  AttributeProto a;
  a.set_name(name);
  a.set_type(AttributeProto::INTS);
  for (const int64_t x : v) a.add_ints(x);
  return a;
}

AttributeProto attr_float(const std::string& name, float v) {
  AttributeProto a;
  a.set_name(name);
  a.set_type(AttributeProto::FLOAT);
  a.set_f(v);
  return a;
}

AttributeProto attr_string(const std::string& name, const std::string& v) {
  AttributeProto a;
  a.set_name(name);
  a.set_type(AttributeProto::STRING);
  a.set_s(v);
  return a;
}

std::string GraphBuilder::unique(const std::string& base) {
  std::string name = base;
  for (int k = 1; std::find(names_.begin(), names_.end(), name) != names_.end(); ++k)
    name = base + "_" + std::to_string(k);
  names_.push_back(name);
  return name;
}

void GraphBuilder::input(const std::string& name, TensorProto::DataType type,
                         const std::vector<Dim>& dims, const std::string& doc) {
  ValueInfoProto* v = g_->add_input();
  v->set_name(unique(name));
  SENTI_CHECK(v->name() == name, "graph input name '", name, "' is taken");
  v->set_doc_string(doc);
  set_type(v, type, dims);
}

void GraphBuilder::output(const std::string& name, TensorProto::DataType type,
                          const std::vector<Dim>& dims, const std::string& doc) {
  ValueInfoProto* v = g_->add_output();
  v->set_name(name);
  v->set_doc_string(doc);
  set_type(v, type, dims);
}

std::string GraphBuilder::floats(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<float>& data) {
  SENTI_CHECK(count(dims) == static_cast<int64_t>(data.size()), "initializer '", name, "': ",
              data.size(), " values for its shape");
  TensorProto* t = g_->add_initializer();
  t->set_name(unique(name));
  t->set_data_type(TensorProto::FLOAT);
  for (const int64_t d : dims) t->add_dims(d);
  t->set_raw_data(raw_bytes(data));
  return t->name();
}

std::string GraphBuilder::int64s(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<int64_t>& data) {
  SENTI_CHECK(count(dims) == static_cast<int64_t>(data.size()), "initializer '", name, "': ",
              data.size(), " values for its shape");
  TensorProto* t = g_->add_initializer();
  t->set_name(unique(name));
  t->set_data_type(TensorProto::INT64);
  for (const int64_t d : dims) t->add_dims(d);
  t->set_raw_data(raw_bytes(data));
  return t->name();
}

std::vector<std::string> GraphBuilder::node(const std::string& op, const std::string& name,
                                            const std::vector<std::string>& inputs, int outputs,
                                            const std::vector<AttributeProto>& attrs) {
  NodeProto* n = g_->add_node();
  n->set_op_type(op);
  n->set_name(unique(name + "/" + op));
  for (const std::string& in : inputs) n->add_input(in);
  std::vector<std::string> outs;
  for (int k = 0; k < outputs; ++k) {
    outs.push_back(unique(outputs == 1 ? name : name + "_" + std::to_string(k)));
    n->add_output(outs.back());
  }
  for (const AttributeProto& a : attrs) *n->add_attribute() = a;
  return outs;
}

void GraphBuilder::rename_output(const std::string& from, const std::string& to) {
  for (NodeProto& n : *g_->mutable_node())
    for (std::string& out : *n.mutable_output())
      if (out == from) out = unique(to);
}

}  // namespace senti::onnx

// `senti export --format onnx` of K-class models, without onnxruntime: the softmax head's output
// probs [batch, K] is a Softmax over the last axis of Dense(F, K), the multi-label head's K
// sigmoids, the n-gram rows of a (F + W, K) dense kernel keep their K columns, and the class names
// go (in label order) into the model's metadata_props and the .vocab.json; the two-class model keeps
// prob_positive [batch]. (tests/python/onnx_export_test.py runs K-class models in onnxruntime.)
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/init.h"
#include "host/onnx/onnx.pb.h"
#include "host/onnx/onnx_export.h"
#include "kernels/common/error.h"
#include "onnx_graph_util.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

const std::vector<std::string> kClasses = {"cats", "dogs", "fish"};

Checkpoint k_class_checkpoint(Head head, int ngrams = 0) { return test::tiny_k_class_checkpoint(4, head, ngrams); }

onnx::ModelProto exported(const Checkpoint& c) {
  onnx::ModelProto m;
  const std::string bytes = onnx::onnx_model_bytes(c, onnx::check_exportable(model_metadata(c.model), {}, "x"));
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

using test::at;
using test::initializer;

// The node that writes `value`, or nullptr.
const onnx::NodeProto* producer(const onnx::ModelProto& m, const std::string& value) {
  for (const auto& n : m.graph().node())
    for (const auto& o : n.output())
      if (o == value) return &n;
  return nullptr;
}

std::string metadata(const onnx::ModelProto& m, const std::string& key) {
  for (const auto& p : m.metadata_props())
    if (p.key() == key) return p.value();
  return "<absent>";
}

TEST(OnnxExportKClass, SoftmaxHeadOutputsBatchByKProbabilitiesOfDenseK) {
  const Checkpoint c = k_class_checkpoint(Head::Softmax);
  const onnx::ModelProto m = exported(c);
  const auto& g = m.graph();
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "probs");
  const auto& shape = g.output(0).type().tensor_type().shape();
  ASSERT_EQ(shape.dim_size(), 2);
  EXPECT_EQ(shape.dim(0).dim_param(), "batch");
  EXPECT_EQ(shape.dim(1).dim_value(), 3);
  const onnx::NodeProto* out = producer(m, "probs");
  ASSERT_NE(out, nullptr) << "no node writes the graph output";
  EXPECT_EQ(out->op_type(), "Softmax");
  ASSERT_EQ(out->attribute_size(), 1);
  EXPECT_EQ(out->attribute(0).name(), "axis");
  EXPECT_EQ(out->attribute(0).i(), -1);
  // Its input is MatMul(features, kernel) + bias: the logits, no reshape in between.
  const onnx::NodeProto* logits = producer(m, out->input(0));
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->op_type(), "Add");

  // Dense(F, K): the kernel (F, K) row-major as the checkpoint holds it, the bias (K).
  const ParamLayout L(c.model);
  const float* dk = c.state.params.data() + L[ParamId::DenseKernel].offset;
  const float* db = c.state.params.data() + L[ParamId::DenseBias].offset;
  const auto& kernel = initializer(m, "dense/kernel");
  ASSERT_EQ(kernel.dims_size(), 2);
  EXPECT_EQ(kernel.dims(0), 6);
  EXPECT_EQ(kernel.dims(1), 3);
  for (int i = 0; i < 6 * 3; ++i) EXPECT_EQ(at(kernel, i), dk[i]) << i;
  const auto& bias = initializer(m, "dense/bias");
  ASSERT_EQ(bias.dims(0), 3);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(at(bias, k), db[k]);

  EXPECT_EQ(metadata(m, "head"), "softmax");
  EXPECT_EQ(metadata(m, "output"), "probs");
  EXPECT_EQ(nlohmann::json::parse(metadata(m, "classes")), nlohmann::json(kClasses));
  EXPECT_NE(m.doc_string().find("3-class"), std::string::npos) << m.doc_string();
}

TEST(OnnxExportKClass, MultiLabelHeadOutputsKSigmoids) {
  const onnx::ModelProto m = exported(k_class_checkpoint(Head::MultiLabel));
  EXPECT_EQ(m.graph().output(0).name(), "probs");
  EXPECT_EQ(m.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  const onnx::NodeProto* out = producer(m, "probs");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->op_type(), "Sigmoid");
  for (const auto& n : m.graph().node()) EXPECT_NE(n.op_type(), "Softmax");
  EXPECT_EQ(metadata(m, "head"), "multi-label");
}

TEST(OnnxExportKClass, TwoClassModelKeepsProbPositiveAndRecordsItsClasses) {
  Checkpoint c = test::tiny_checkpoint(4);
  c.classes = {"bad", "good"};
  const onnx::ModelProto m = exported(c);
  EXPECT_EQ(m.graph().output(0).name(), "prob_positive");
  ASSERT_EQ(m.graph().output(0).type().tensor_type().shape().dim_size(), 1);
  const onnx::NodeProto* out = producer(m, "prob_positive");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->op_type(), "Reshape");
  EXPECT_EQ(metadata(m, "head"), "sigmoid");
  EXPECT_EQ(metadata(m, "classes"), "[\"bad\",\"good\"]");
  EXPECT_EQ(initializer(m, "dense/kernel").dims(1), 1);
  const nlohmann::json v = onnx::vocabulary_json(c);
  EXPECT_EQ(v["classes"], nlohmann::json({"bad", "good"}));
  EXPECT_EQ(v["output"], "prob_positive");
}

// The n-gram rows of a (F + W, K) kernel: row f of the gathered table is the kernel's row F + f,
// all K columns; the padding slot's row is zero.
TEST(OnnxExportKClass, NgramRowsKeepTheirKColumns) {
  const Checkpoint c = k_class_checkpoint(Head::Softmax, 2);
  const onnx::ModelProto m = exported(c);
  const ParamLayout L(c.model);
  const float* dk = c.state.params.data() + L[ParamId::DenseKernel].offset;
  const int F = 6, W = 16 + 32, K = 3;
  const auto& lstm_rows = initializer(m, "dense/kernel");
  ASSERT_EQ(lstm_rows.dims(0), F);
  ASSERT_EQ(lstm_rows.dims(1), K);
  for (int i = 0; i < F * K; ++i) EXPECT_EQ(at(lstm_rows, i), dk[i]);
  const auto& ngram_rows = initializer(m, "dense/kernel_ngrams");
  ASSERT_EQ(ngram_rows.dims_size(), 2);
  ASSERT_EQ(ngram_rows.dims(0), W + 1);
  ASSERT_EQ(ngram_rows.dims(1), K);
  for (int f = 0; f < W; ++f)
    for (int k = 0; k < K; ++k) ASSERT_EQ(at(ngram_rows, f * K + k), dk[(F + f) * K + k]) << f << " " << k;
  for (int k = 0; k < K; ++k) EXPECT_EQ(at(ngram_rows, W * K + k), 0.f);
  // The n-gram logits (B, K) are added to the dense logits before the Softmax.
  const onnx::NodeProto* logits = producer(m, producer(m, "probs")->input(0));
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->name().rfind("logit_with_ngrams", 0), 0u) << logits->name();
}

TEST(OnnxExportKClass, ReadsTheHeadAndRefusesOneItDoesNotKnow) {
  nlohmann::json meta = model_metadata(k_class_checkpoint(Head::Softmax).model);
  EXPECT_EQ(meta["architecture"], "embedding-lstm-dense-softmax");
  onnx::ModelOptions o = onnx::check_exportable(meta, {}, "ck");
  EXPECT_EQ(o.head, "softmax");
  EXPECT_EQ(o.classes, 3);
  o = onnx::check_exportable(model_metadata(test::tiny_checkpoint(4).model), {}, "ck");
  EXPECT_EQ(o.head, "sigmoid");
  EXPECT_EQ(o.classes, 2);
  for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"head", "tree"}, {"head", 3}, {"classes", 1}, {"classes", "3"}}) {
    nlohmann::json bad = meta;
    bad[key] = value;
    try {
      onnx::check_exportable(bad, {}, "ck.safetensors");
      ADD_FAILURE() << "accepted " << bad.dump();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("ck.safetensors"), std::string::npos) << e.what();
    }
  }
  // The loaded model and the metadata must agree on the head.
  Checkpoint c = k_class_checkpoint(Head::Softmax);
  EXPECT_THROW(onnx::onnx_model_bytes(c, onnx::check_exportable(model_metadata(test::tiny_checkpoint(4).model),
                                                                 {}, "ck")),
               Error);
}

TEST(ExportCliKClass, WritesProbsAndTheClassNamesBesideTheModel) {
  const std::string dir = test::scratch_dir("export-k-class");
  const std::string ckpt = dir + "/model.safetensors";
  save_checkpoint(ckpt, k_class_checkpoint(Head::Softmax));
  std::string out;
  ASSERT_EQ(test::run_command(test::senti_bin() + " export --checkpoint " + ckpt + " --out " + dir + "/m.onnx", &out),
            0) << out;
  EXPECT_NE(out.find("output probs float [batch, 3] (softmax)"), std::string::npos) << out;
  EXPECT_NE(out.find("classes cats, dogs, fish"), std::string::npos) << out;
  onnx::ModelProto m;
  std::ifstream in(dir + "/m.onnx", std::ios::binary);
  ASSERT_TRUE(m.ParseFromIstream(&in));
  EXPECT_EQ(m.graph().output(0).name(), "probs");
  std::ifstream vin(dir + "/m.vocab.json");
  const nlohmann::json v = nlohmann::json::parse(vin);
  EXPECT_EQ(v["classes"], nlohmann::json(kClasses));
  EXPECT_EQ(v["head"], "softmax");
  EXPECT_EQ(v["output"], "probs");
  EXPECT_EQ(v["word_ids"]["movie"], 4);
}

}  // namespace
}  // namespace senti

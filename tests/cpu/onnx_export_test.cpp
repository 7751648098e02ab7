// `senti export --format onnx` without onnxruntime: the graph's interface, the LSTM weights in
// ONNX's gate order, the vocabulary JSON, the refusal of options the exporter cannot express, and
// the command's file handling. (tests/python/onnx_export_test.py runs the model in onnxruntime.)
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

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

const nlohmann::json kSeedModel = {{"vocab_size", 16}, {"embed_dim", 8}, {"hidden", 6},
                                   {"architecture", "embedding-lstm-dense-sigmoid"}};

using test::at;
using test::initializer;

TEST(OnnxExport, GraphHasTheDocumentedInterfaceAndOnnxGateOrder) {
  const Checkpoint c = test::tiny_checkpoint(4);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx::onnx_model_bytes(c, onnx::check_exportable(kSeedModel, {}, "x"))));
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), onnx::kOpset);
  const auto& g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "token_ids");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(g.input(1).name(), "lengths");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "prob_positive");
  EXPECT_EQ(g.output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  bool produced = false;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) produced |= o == "prob_positive";
  EXPECT_TRUE(produced) << "no node writes the graph output";

  // ONNX gate g (i, o, f, c) row j is Keras gate block (i, f, c, o)[g] column j, transposed.
  const ParamLayout L(c.model);
  const int E = c.model.embed_dim, H = c.model.hidden, G = 4 * H;
  const float* kernel = c.state.params.data() + L[ParamId::Kernel].offset;
  const float* recurrent = c.state.params.data() + L[ParamId::RecurrentKernel].offset;
  const float* bias = c.state.params.data() + L[ParamId::Bias].offset;
  const auto& W = initializer(m, "lstm/W");
  const auto& R = initializer(m, "lstm/R");
  const auto& B = initializer(m, "lstm/B");
  ASSERT_EQ(W.dims_size(), 3);
  EXPECT_EQ(W.dims(1), G);
  EXPECT_EQ(W.dims(2), E);
  const int keras_block[4] = {0, 3, 1, 2};
  for (int gate = 0; gate < 4; ++gate)
    for (int j = 0; j < H; ++j) {
      const int row = gate * H + j, col = keras_block[gate] * H + j;
      for (int e = 0; e < E; ++e) ASSERT_EQ(at(W, row * E + e), kernel[e * G + col]) << gate << " " << j;
      for (int k = 0; k < H; ++k) ASSERT_EQ(at(R, row * H + k), recurrent[k * G + col]);
      EXPECT_EQ(at(B, row), bias[col]);
      EXPECT_EQ(at(B, G + row), 0.f) << "recurrent bias: Keras has one bias";
    }
  const auto& emb = initializer(m, "embedding/embeddings");
  EXPECT_EQ(emb.dims(0), 16);
  EXPECT_EQ(at(emb, 5 * 8 + 3), c.state.params[L[ParamId::Embedding].offset + 5 * 8 + 3]);
}

TEST(OnnxExport, ReadsTheModelOptionsRefusesUnknownOnesAndAcceptsDropout) {
  auto refused = [](nlohmann::json model, nlohmann::json train, const std::string& want) {
    try {
      onnx::check_exportable(model, train, "ck.safetensors");
      ADD_FAILURE() << "accepted " << model.dump() << " " << train.dump();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ck.safetensors"), std::string::npos) << e.what();
    }
  };
  auto with = [](const nlohmann::json& patch) {
    nlohmann::json m = kSeedModel;
    m.merge_patch(patch);
    return m;
  };
  refused(with({{"pool", "median"}}), {}, "--pool \"median\"");
  refused(with({{"mask", "yes"}}), {}, "expected a boolean");
  refused(kSeedModel, {{"bidirectional", 1}}, "expected a boolean");  // a training flag only
  refused(with({{"attention", 4}}), {}, "'attention'");
  refused(with({{"architecture", "gru"}}), {}, "architecture");
  auto o = onnx::check_exportable(
      with({{"mask", true}, {"bidirectional", true}, {"pool", "concat"},
            {"architecture", "embedding-bilstm-pool-dense-sigmoid"}}),
      {}, "ck");
  EXPECT_TRUE(o.mask);
  EXPECT_TRUE(o.bidirectional);
  EXPECT_EQ(o.pool, "concat");
  o = onnx::check_exportable(
      with({{"mask", false}, {"pool", "last"}, {"dropout", 0.2}, {"dense_dropout", 0.5}}),
      {{"batch", 32}}, "ck");
  EXPECT_FALSE(o.mask);
  EXPECT_EQ(o.pool, "last");
  // Every checkpoint since --ngrams records ngrams and ngram_buckets, 0 (off) included.
  o = onnx::check_exportable(with({{"mask", true}, {"ngrams", 0}, {"ngram_buckets", 1 << 20}}), {}, "ck");
  EXPECT_EQ(o.ngrams, 0);
  o = onnx::check_exportable(with({{"ngrams", 3}, {"ngram_buckets", 512}}), {}, "ck");
  EXPECT_EQ(o.ngrams, 3);
  refused(with({{"ngrams", 4}}), {}, "--ngrams 4");
  refused(with({{"ngrams", "2"}}), {}, "--ngrams \"2\"");
}

// An n-gram model's dense kernel is split: its first F rows multiply the LSTM features, its last W
// rows (and a zero for the padding slot) are gathered by the n-gram features.
TEST(OnnxExport, NgramModelSplitsTheDenseKernel) {
  Checkpoint c = test::tiny_checkpoint(4);
  c.model.ngrams = 2;
  c.model.ngram_buckets = 32;
  c.state = init_train_state(c.model, 4);
  const ParamLayout L(c.model);
  nlohmann::json meta = kSeedModel;
  meta["ngrams"] = 2;
  meta["ngram_buckets"] = 32;
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx::onnx_model_bytes(c, onnx::check_exportable(meta, {}, "x"))));
  const float* dk = c.state.params.data() + L[ParamId::DenseKernel].offset;
  const auto& lstm_rows = initializer(m, "dense/kernel");
  ASSERT_EQ(lstm_rows.dims(0), 6);
  for (int f = 0; f < 6; ++f) EXPECT_EQ(at(lstm_rows, f), dk[f]);
  const auto& ngram_rows = initializer(m, "dense/kernel_ngrams");
  ASSERT_EQ(ngram_rows.dims(0), 16 + 32 + 1);
  for (int f = 0; f < 16 + 32; ++f) EXPECT_EQ(at(ngram_rows, f), dk[6 + f]);
  EXPECT_EQ(at(ngram_rows, 48), 0.f);
  bool has_ngrams = false;
  for (const auto& p : m.metadata_props()) has_ngrams |= p.key() == "ngrams" && p.value() == "2";
  EXPECT_TRUE(has_ngrams);
}

TEST(OnnxExport, VocabularyJsonMapsWordsToTheCheckpointsIds) {
  Checkpoint c = test::tiny_checkpoint(4);
  c.vocab.words[1] = "";  // an unused id (Keras word index gaps) is left out
  const nlohmann::json v = onnx::vocabulary_json(c);
  EXPECT_EQ(v["word_ids"]["the"], 3);
  EXPECT_EQ(v["word_ids"]["good"], 5);
  EXPECT_FALSE(v["word_ids"].contains(""));
  EXPECT_EQ(v["word_ids"].size(), c.vocab.words.size() - 1);
  EXPECT_EQ(v["maxlen"], 10);
  EXPECT_EQ(v["padding"], "post");
  EXPECT_EQ(v["start_id"], 1);
  EXPECT_EQ(v["oov_id"], 2);
  EXPECT_EQ(v["pad_id"], 0);
  EXPECT_EQ(onnx::vocabulary_path_for("/a/b/model.onnx"), "/a/b/model.vocab.json");
}

TEST(ExportCli, WritesModelAndVocabularyAndNeverOverwritesWithoutForce) {
  const std::string dir = test::scratch_dir("export-cli");
  const std::string ckpt = dir + "/model.safetensors";
  save_checkpoint(ckpt, test::tiny_checkpoint(4));
  const std::string base = test::senti_bin() + " export --checkpoint " + ckpt;
  std::string out;
  ASSERT_EQ(test::run_command(base + " --format onnx --out " + dir + "/m.onnx", &out), 0) << out;
  onnx::ModelProto m;
  std::ifstream in(dir + "/m.onnx", std::ios::binary);
  ASSERT_TRUE(m.ParseFromIstream(&in));
  EXPECT_EQ(m.graph().output(0).name(), "prob_positive");
  std::ifstream vin(dir + "/m.vocab.json");
  EXPECT_EQ(nlohmann::json::parse(vin)["word_ids"]["movie"], 4);

  EXPECT_EQ(test::run_command(base + " --out " + dir + "/m.onnx", &out), 2);
  EXPECT_NE(out.find("exists; pass --force"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(base + " --out " + dir + "/m.onnx --force", &out), 0) << out;
  EXPECT_EQ(test::run_command(base + " --format tflite --out " + dir + "/x.onnx", &out), 2);
  EXPECT_NE(out.find("--format"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(base + " --out " + dir + "/x.bin", &out), 2);
  EXPECT_NE(out.find(".onnx"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(test::senti_bin() + " export --checkpoint " + dir +
                                  "/missing.safetensors --out " + dir + "/y.onnx", &out), 2);
  EXPECT_NE(out.find("missing.safetensors"), std::string::npos) << out;
}

}  // namespace
}  // namespace senti

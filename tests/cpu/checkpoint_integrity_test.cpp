// Checkpoint integrity: every tensor's XXH64 is stored and verified on load (a flipped byte in the
// tensor data is caught, naming the file and the tensor), NaN/inf weights are never written and
// never loaded, metadata values are validated before anything is sized by them, and the content
// hash (weights_xxh64) ignores the wall-clock fields.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "data_synthetic_test.h"
#include "engine/safetensors.h"
#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "test_env.h"
#include "tiny_checkpoint.h"

namespace senti {
namespace {

// Message of the UsageError loading `path` throws ("" when it loads).
std::string load_error(const std::string& path) {
  try {
    load_checkpoint(path);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

Checkpoint resumable() {
  Checkpoint c = test::tiny_checkpoint(5);
  c.state.m.assign(c.state.params.size(), 0.01f);
  c.state.v.assign(c.state.params.size(), 0.02f);
  c.state.step = 40;
  c.epoch = 2;
  c.history = nlohmann::json::array({{{"epoch", 1}, {"loss", 0.6}, {"seconds", 1.5}},
                                     {{"epoch", 2}, {"loss", 0.5}, {"seconds", 1.4}}});
  return c;
}

TEST(CheckpointIntegrity, EveryTensorHashIsStoredAndTheFileVerifies) {
  const std::string path = test::scratch_dir("ck-hash") + "/c.safetensors";
  save_checkpoint(path, resumable());
  const auto f = safetensors::read_file(path);
  const auto hashes = nlohmann::json::parse(f.metadata.at("tensor_xxh64"));
  EXPECT_EQ(hashes.size(), f.tensors.size());
  EXPECT_EQ(hashes.size(), 18u);  // 6 weights + their Adam m and v
  const Checkpoint c = load_checkpoint(path);
  EXPECT_TRUE(c.content_verified);
  EXPECT_EQ(f.metadata.at("weights_xxh64"), weights_hash_hex(c));
}

// The audit flipped 45 single bytes of tensor data and none was noticed.
TEST(CheckpointIntegrity, EverySingleByteFlipInTensorDataIsDetected) {
  const std::string dir = test::scratch_dir("ck-flip");
  save_checkpoint(dir + "/c.safetensors", resumable());
  const std::string bytes = test::read_bytes(dir + "/c.safetensors");
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  const size_t data_start = 8 + header;
  std::mt19937_64 rng(45);
  for (int k = 0; k < 45; ++k) {
    std::string flipped = bytes;
    const size_t at = data_start + rng() % (bytes.size() - data_start);
    flipped[at] = static_cast<char>(flipped[at] ^ static_cast<char>(1 + rng() % 255));
    const std::string path = dir + "/flip.safetensors";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << flipped;
    const std::string err = load_error(path);
    EXPECT_NE(err.find("flip.safetensors"), std::string::npos) << "byte " << at << ": " << err;
    EXPECT_NE(err.find("tensor '"), std::string::npos) << "byte " << at << ": " << err;
  }
}

TEST(CheckpointIntegrity, NonFiniteWeightsAreNeverWritten) {
  const std::string dir = test::scratch_dir("ck-nan-save");
  const std::string path = dir + "/c.safetensors";
  save_checkpoint(path, resumable());
  const std::string before = test::read_bytes(path);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    Checkpoint c = resumable();
    c.state.params[3] = bad;
    EXPECT_THROW(save_checkpoint(path, c), UsageError);
    c = resumable();
    c.state.v.back() = bad;
    EXPECT_THROW(save_checkpoint(path, c), UsageError);
    c = resumable();
    c.optimizer.clipnorm = bad;  // would be written as JSON null
    EXPECT_THROW(save_checkpoint(path, c), UsageError);
  }
  EXPECT_EQ(test::read_bytes(path), before);  // the old file is untouched
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(e.path().filename(), "c.safetensors");  // and no temporary is left
}

// Files from before content hashes load (unverified), but NaN weights are refused in any file.
TEST(CheckpointIntegrity, NonFiniteWeightsAreRefusedOnLoadAlsoWithoutHashes) {
  const std::string dir = test::scratch_dir("ck-nan-load");
  save_checkpoint(dir + "/c.safetensors", resumable());
  auto f = safetensors::read_file(dir + "/c.safetensors");
  f.metadata.erase("tensor_xxh64");
  f.metadata.erase("weights_xxh64");
  safetensors::write_file(dir + "/legacy.safetensors", f);
  const Checkpoint legacy = load_checkpoint(dir + "/legacy.safetensors");
  EXPECT_FALSE(legacy.content_verified);
  EXPECT_EQ(legacy.state.params, resumable().state.params);

  f.tensors.at("dense/kernel").data[2] = std::numeric_limits<float>::quiet_NaN();
  safetensors::write_file(dir + "/nan.safetensors", f);
  const std::string err = load_error(dir + "/nan.safetensors");
  EXPECT_NE(err.find("nan.safetensors"), std::string::npos) << err;
  EXPECT_NE(err.find("dense/kernel"), std::string::npos) << err;
  EXPECT_NE(err.find("non-finite"), std::string::npos) << err;

  // One of the two hash keys missing is damage, not an old file.
  f = safetensors::read_file(dir + "/c.safetensors");
  f.metadata.erase("tensor_xxh64");
  safetensors::write_file(dir + "/half.safetensors", f);
  EXPECT_NE(load_error(dir + "/half.safetensors"), "");
}

// Crafted metadata used to reach std::bad_alloc, vector::_M_default_append or internal checks.
TEST(CheckpointIntegrity, MetadataIsValidatedBeforeItSizesAnything) {
  const std::string dir = test::scratch_dir("ck-meta");
  save_checkpoint(dir + "/c.safetensors", resumable());
  const auto good = safetensors::read_file(dir + "/c.safetensors");
  auto patched = [&](const std::string& key, const std::string& field, const nlohmann::json& value) {
    auto f = good;
    if (field.empty()) {
      f.metadata[key] = value.get<std::string>();
    } else {
      auto j = nlohmann::json::parse(f.metadata[key]);
      j[field] = value;
      f.metadata[key] = j.dump();
    }
    const std::string path = dir + "/" + key + "-" + field + ".safetensors";
    safetensors::write_file(path, f);
    return path;
  };
  const std::pair<std::string, std::string> cases[] = {
      {patched("model", "vocab_size", 2000000000), "vocab_size"},
      {patched("model", "hidden", 1000000000), "hidden"},
      {patched("model", "embed_dim", -3), "embed_dim"},
      {patched("preprocessing", "maxlen", 0), "maxlen"},
      {patched("preprocessing", "maxlen", 2000000000), "maxlen"},
      {patched("optimizer", "learning_rate", 1e300), "lr"},
      {patched("optimizer", "clipnorm", nullptr), "clipnorm"},
      {patched("step", "", "-5"), "step"},
  };
  for (const auto& [path, what] : cases) {
    const std::string err = load_error(path);
    EXPECT_NE(err.find(std::filesystem::path(path).filename().string()), std::string::npos) << err;
    EXPECT_NE(err.find(what), std::string::npos) << path << ": " << err;
    EXPECT_EQ(err.find("check `"), std::string::npos) << err;
  }
}

TEST(CheckpointIntegrity, ContentHashIgnoresHistoryAndFollowsTheWeights) {
  const Checkpoint a = resumable();
  Checkpoint b = resumable();
  b.history[0]["seconds"] = 99.0;
  b.train_config["note"] = "another run";
  EXPECT_EQ(weights_hash_hex(a), weights_hash_hex(b));
  b.state.params[0] = std::nextafter(b.state.params[0], 1.f);
  EXPECT_NE(weights_hash_hex(a), weights_hash_hex(b));
  EXPECT_EQ(weights_hash_hex(a).size(), 16u);
}

}  // namespace
}  // namespace senti

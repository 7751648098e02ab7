#pragma once
// A checkpoint is one safetensors file holding everything needed to evaluate, predict or resume:
//   tensors   the 6 parameters under their Keras names ("lstm/lstm_cell/kernel", ...), and for
//             resuming the Adam moments under "optimizer/m/<name>" and "optimizer/v/<name>"
//   metadata  format, model shape and options, optimizer settings, step, epoch, seed, the preprocessing
//             (num_words, maxlen, padding, truncating, tokenizer version), the vocabulary itself and
//             its hash, the training configuration and the per-epoch history; for integrity the
//             XXH64 of every tensor ("tensor_xxh64": {name: 16 hex digits}) and of the weights
//             ("weights_xxh64", see weights_hash).
// PyTorch reads it with safetensors.torch.load_file (see scripts/checkpoint_to_pytorch.py).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model_config.h"
#include "engine/params.h"
#include "host/data/dataset.h"
#include "host/text/tokenizers.h"

namespace senti {

// v1: the seed architecture (Embedding -> LSTM, final state -> Dense). v2: a model with any option
// beyond it (mask, bidirectional, pooling, dropout, n-grams), which a senti that only knows v1 must refuse
// rather than run as the seed model. save_checkpoint writes v1 whenever the model is a v1 model.
constexpr const char* kCheckpointFormat = "senti-checkpoint-v1";
constexpr const char* kCheckpointFormatV2 = "senti-checkpoint-v2";
bool needs_format_v2(const ModelConfig& model);

// The model's settings as the checkpoint's "model" metadata records them (every ModelConfig field,
// plus its architecture name); what inspect shows and diff compares.
nlohmann::json model_metadata(const ModelConfig& model);

struct Checkpoint {
  ModelConfig model;
  OptimizerConfig optimizer;
  TrainState state;               // params always; m, v empty when saved without optimizer state
  data::Vocabulary vocab;         // words for ids 3 .. num_words-1
  data::SequenceOptions sequence; // maxlen, padding, truncating used in training
  // The class names in label order (metadata "classes"; checkpoints from before it are IMDB's:
  // neg, pos). Two classes: the model's one output is the probability of classes[1].
  std::vector<std::string> classes = data::imdb_classes();
  // The tokenizer the vocabulary and every id came from (metadata "preprocessing": "tokenizer",
  // absent in checkpoints from before the choice = v1), its version, and for unicode the ICU
  // version ("tokenizer_icu"). Inference refuses a checkpoint whose tokens this build cannot
  // reproduce (check_inference_ready).
  text::TokenizerKind tokenizer = text::TokenizerKind::V1;
  int tokenizer_version = 0;
  std::string tokenizer_icu;      // text::tokenizer_data_version(tokenizer) at training; "" for v1
  int64_t epoch = 0;              // epochs completed
  uint64_t seed = 0;              // the run's seed (shuffles are derived from seed and epoch)
  nlohmann::json train_config = nlohmann::json::object();  // flags of the run that made it
  nlohmann::json history = nlohmann::json::array();        // per-epoch metrics records
  bool content_verified = false;  // set by load_checkpoint: the tensors matched their stored XXH64
};

// Writes atomically (temporary file + rename); throws UsageError naming the path on failure, and
// refuses (UsageError, the old file kept) weights or moments holding NaN or infinity.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);

// Reads a checkpoint file, or "<dir>/latest.safetensors" when `path` is a directory. Validates the
// format, every metadata value with its rule's owner (model shape and size, optimizer settings,
// maxlen) before allocating, shapes against the model config, every tensor against its stored
// XXH64 (files written before senti stored hashes have none: content_verified stays false), that
// all values are finite, and the vocabulary against its hash; throws UsageError naming the file
// (and the tensor) and the problem.
Checkpoint load_checkpoint(const std::string& path);

// The model's content, independent of wall-clock fields: XXH64 of the parameters in ParamLayout
// order (embedding, kernel, recurrent_kernel, bias, dense_kernel, dense_bias; float32,
// little-endian). Two checkpoints with equal weights_hash give the same predictions.
uint64_t weights_hash(const Checkpoint& ckpt);
std::string weights_hash_hex(const Checkpoint& ckpt);  // 16 hex digits

// The file a directory checkpoint resolves to.
std::string checkpoint_file(const std::string& path_or_dir);

}  // namespace senti

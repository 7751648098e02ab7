#pragma once
// Minimal reader/writer for the safetensors format (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of JSON header | raw tensor bytes
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end)} and may hold
// "__metadata__": {string: string}. Checkpoints use it so PyTorch (safetensors.torch.load_file) and
// numpy can read senti's weights without senti.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace senti::safetensors {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // F32 only: all of senti's tensors are float32
};

struct File {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Writes atomically: a temporary file beside `path`, fsync'd, then renamed over it. Throws
// senti::UsageError naming the path when it cannot be written; the old file stays intact.
void write_file(const std::string& path, const File& file);

// Reads and validates (header size, JSON, dtype, offsets within the file, no overlap, shapes
// matching byte sizes). Throws senti::UsageError naming the path and the problem.
File read_file(const std::string& path);

}  // namespace senti::safetensors

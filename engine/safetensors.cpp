#include "engine/safetensors.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>
#include <vector>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"

namespace senti::safetensors {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the format's own limit is 100 MB

void put_u64_le(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// entry[key] as integers. Only JSON integers pass: nlohmann's get<int64_t>() of a float (3.5, or
// an integer too long for 64 bits, which it parses as a double) converts it, and out of range
// that conversion is undefined behaviour.
template <typename T>
std::vector<T> integer_list(const nlohmann::json& entry, const char* key, const std::string& path,
                            const std::string& name) {
  const nlohmann::json& list = entry.at(key);
  std::vector<T> out;
  for (const auto& v : list.is_array() ? list : nlohmann::json::array({nullptr})) {
    if (!v.is_number_integer() || (std::is_unsigned_v<T> && !v.is_number_unsigned()))
      SENTI_FAIL("'", path, "': tensor '", name, "' has ", key, " ", list.dump(),
                 ", expected a list of integers", std::is_unsigned_v<T> ? " >= 0" : "");
    out.push_back(v.get<T>());
  }
  return out;
}

}  // namespace

void write_file(const std::string& path, const File& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : file.metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    uint64_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    SENTI_CHECK(n == t.data.size(), "tensor '", name, "': shape does not match its data size");
    const uint64_t bytes = n * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  while ((json.size() + 8) % 8 != 0) json.push_back(' ');  // align the data start to 8 bytes
  std::string out;
  out.reserve(8 + json.size() + offset);
  put_u64_le(&out, json.size());
  out += json;
  for (const auto& [name, t] : file.tensors) {
    const char* p = reinterpret_cast<const char*>(t.data.data());  // x86/ARM: already little-endian
    out.append(p, t.data.size() * sizeof(float));
  }
  write_file_atomically(path, out);
}

File read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) SENTI_FAIL("cannot open checkpoint '", path, "': no such file or not readable");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.size() < 8)
    SENTI_FAIL("'", path, "' is not a senti checkpoint (safetensors): file too short (", bytes.size(),
               " bytes)");
  const uint64_t n = get_u64_le(reinterpret_cast<const unsigned char*>(bytes.data()));
  if (n > kMaxHeaderBytes || 8 + n > bytes.size())
    SENTI_FAIL("'", path, "' is not a valid safetensors file: header length ", n,
               " does not fit in the file (", bytes.size(), " bytes): truncated or not a checkpoint");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  } catch (const std::exception& e) {
    SENTI_FAIL("'", path, "' is not a valid safetensors file: header is not JSON (", e.what(), ")");
  }
  if (!header.is_object()) SENTI_FAIL("'", path, "': safetensors header is not a JSON object");
  const uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;
  File file;
  uint64_t covered = 0;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) SENTI_FAIL("'", path, "': __metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) SENTI_FAIL("'", path, "': metadata '", k, "' is not a string");
        file.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    try {
      if (entry.at("dtype").get<std::string>() != "F32")
        SENTI_FAIL("'", path, "': tensor '", name, "' has dtype ", entry.at("dtype").dump(),
                   ", expected F32");
      Tensor t;
      t.shape = integer_list<int64_t>(entry, "shape", path, name);
      const auto offs = integer_list<uint64_t>(entry, "data_offsets", path, name);
      uint64_t count = 1;
      bool wraps = false;  // a product past 2^64 must not wrap to a size the data matches
      for (int64_t d : t.shape) {
        if (d < 0) SENTI_FAIL("'", path, "': tensor '", name, "' has a negative dimension");
        wraps |= __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count);
      }
      if (wraps || count > data_size / sizeof(float))
        SENTI_FAIL("'", path, "': tensor '", name, "' has a shape ", entry.at("shape").dump(),
                   " of more elements than the file holds (corrupt or not a checkpoint)");
      if (offs.size() != 2 || offs[0] > offs[1] || offs[1] > data_size ||
          offs[1] - offs[0] != count * sizeof(float))
        SENTI_FAIL("'", path, "': tensor '", name,
                   "' has data offsets outside the file or not matching its shape (truncated file?)");
      t.data.resize(count);
      if (count) std::memcpy(t.data.data(), data + offs[0], count * sizeof(float));
      covered += offs[1] - offs[0];
      file.tensors.emplace(name, std::move(t));
    } catch (const nlohmann::json::exception& e) {
      SENTI_FAIL("'", path, "': malformed entry for tensor '", name, "': ", e.what());
    }
  }
  if (covered != data_size)
    SENTI_FAIL("'", path, "': tensor data (", covered, " bytes) does not match the file's data section (",
               data_size, " bytes): truncated or corrupt");
  return file;
}

}  // namespace senti::safetensors

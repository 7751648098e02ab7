#include "host/onnx/onnx_ngram.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "engine/params.h"
#include "kernels/common/error.h"
#include "kernels/common/math/ngram.h"

namespace senti::onnx {
namespace {

constexpr int64_t k2_16 = int64_t{1} << 16, k2_32 = int64_t{1} << 32;

// The uint32 arithmetic of ngram_hash on int64 values in [0, 2^32).
struct U32Ops {
  GraphBuilder& g;
  std::string pow2, last_axis, two, two16, two32;

  explicit U32Ops(GraphBuilder& gb) : g(gb) {
    std::vector<int64_t> p(32);
    for (int k = 0; k < 32; ++k) p[k] = int64_t{1} << k;
    pow2 = g.int64s("ngram/pow2", {32}, p);
    last_axis = g.int64s("ngram/last_axis", {1}, {-1});
    two = g.int64s("ngram/two", {}, {2});
    two16 = g.int64s("ngram/two16", {}, {k2_16});
    two32 = g.int64s("ngram/two32", {}, {k2_32});
  }
  std::string constant(int64_t v) { return g.int64s("ngram/c", {}, {v}); }
  // (…, 32): bit k of each value.
  std::string bits(const std::string& a) {
    const std::string col = g.op("Unsqueeze", "ngram/col", {a, last_axis});
    return g.op("Mod", "ngram/bits", {g.op("Div", "ngram/shifted", {col, pow2}), two});
  }
  std::string xor32(const std::string& a, const std::string& b) {
    const std::string x = g.op("Mod", "ngram/xor_bits", {g.op("Add", "ngram/bit_sum", {bits(a), bits(b)}), two});
    return g.op("ReduceSum", "ngram/xor", {g.op("Mul", "ngram/xor_weighted", {x, pow2}), last_axis},
                {attr_int("keepdims", 0)});
  }
  std::string mul32(const std::string& a, uint32_t c) {
    const std::string lo = g.op("Mul", "ngram/mul_lo", {a, constant(c & 0xFFFFu)});
    const std::string hi = g.op("Mod", "ngram/mul_hi", {g.op("Mul", "ngram/mul_hi_full", {a, constant(c >> 16)}), two16});
    const std::string hi_shifted = g.op("Mul", "ngram/mul_hi_shifted", {hi, two16});
    return g.op("Mod", "ngram/mul", {g.op("Add", "ngram/mul_sum", {lo, hi_shifted}), two32});
  }
  std::string xor_shift(const std::string& h, int s) {
    return xor32(h, g.op("Div", "ngram/shift", {h, constant(int64_t{1} << s)}));
  }
};

}  // namespace

std::string add_ngram_logit(GraphBuilder& g, const Checkpoint& c, const std::string& ids) {
  const ModelConfig& m = c.model;
  SENTI_CHECK(m.ngrams >= 1 && m.ngrams <= math::kMaxNgram, "the n-gram graph needs ngrams in 1..3");
  const int64_t V = m.vocab_size, W = m.ngram_width();
  U32Ops u(g);
  const std::string zero = u.constant(0), dummy = u.constant(W);
  const std::string axis1 = g.int64s("ngram/axis1", {1}, {1});
  std::vector<std::string> parts;
  // Unigrams: the id itself; padding -> the zero-weight slot.
  parts.push_back(g.op("Where", "ngram/unigrams", {g.op("Greater", "ngram/is_word", {ids, zero}), ids, dummy}));
  for (int n = 2; n <= m.ngrams; ++n) {
    // ids[:, t + i] for t = 0 .. T - n, i = 0 .. n-1: the i-th word of every n-gram.
    std::string valid, h;
    uint32_t seed = (0x811C9DC5u ^ static_cast<uint32_t>(n)) * 0x01000193u;
    h = u.constant(seed);
    for (int i = 0; i < n; ++i) {
      const int64_t end = i < n - 1 ? i - (n - 1) : std::numeric_limits<int64_t>::max();
      const std::string word = g.op("Slice", "ngram/word", {ids, g.int64s("ngram/start", {1}, {i}),
                                                            g.int64s("ngram/end", {1}, {end}), axis1});
      const std::string real = g.op("Greater", "ngram/real", {word, zero});
      valid = valid.empty() ? real : g.op("And", "ngram/all_real", {valid, real});
      h = u.mul32(u.xor32(h, word), 0x01000193u);
    }
    h = u.xor_shift(h, 16);
    h = u.mul32(h, 0x85EBCA6Bu);
    h = u.xor_shift(h, 13);
    h = u.mul32(h, 0xC2B2AE35u);
    h = u.xor_shift(h, 16);
    const std::string slot = g.op("Add", "ngram/slot", {u.constant(V), g.op("Mod", "ngram/bucket", {h, u.constant(m.ngram_buckets)})});
    parts.push_back(g.op("Where", "ngram/feature", {valid, slot, dummy}));
  }
  const std::string all = parts.size() == 1 ? parts[0] : g.op("Concat", "ngram/features", parts, {attr_int("axis", 1)});
  // Sorted per row (descending), a feature equal to the one before it is a repeat.
  const std::string K = g.op("Slice", "ngram/count", {g.op("Shape", "ngram/shape", {all}),
                                                      g.int64s("ngram/k_start", {1}, {1}),
                                                      g.int64s("ngram/k_end", {1}, {2})});
  const std::string sorted = g.node("TopK", "ngram/sorted", {all, K}, 2, {attr_int("axis", 1)})[0];
  const std::string but_last = g.op("Slice", "ngram/but_last", {sorted, g.int64s("ngram/bl_start", {1}, {0}),
                                                                g.int64s("ngram/bl_end", {1}, {-1}), axis1});
  const std::string before = g.op("Pad", "ngram/before", {but_last, g.int64s("ngram/pads", {4}, {0, 1, 0, 0}),
                                                          u.constant(-1)});
  const std::string first = g.op("Not", "ngram/first", {g.op("Equal", "ngram/repeat", {sorted, before})});
  // The n-gram rows of the dense kernel (W, O), then a zero row for the padding slot W.
  const ParamLayout L(c.model);
  const TensorInfo& k = L[ParamId::DenseKernel];
  const int64_t O = m.outputs();
  std::vector<float> w(c.state.params.begin() + static_cast<std::ptrdiff_t>(k.offset + m.features() * O),
                       c.state.params.begin() + static_cast<std::ptrdiff_t>(k.offset + k.size));
  SENTI_CHECK(static_cast<int64_t>(w.size()) == W * O, "the dense kernel has no ", W, " x ", O, " n-gram rows");
  w.insert(w.end(), static_cast<size_t>(O), 0.f);
  const std::string weights = g.floats("dense/kernel_ngrams", {W + 1, O}, w);
  const std::string picked = g.op("Gather", "ngram/weights", {weights, sorted}, {attr_int("axis", 0)});  // (B, n, O)
  const std::string first_float = g.op("Cast", "ngram/first_float", {first}, {attr_int("to", TensorProto::FLOAT)});
  const std::string once = g.op("Mul", "ngram/once", {picked, g.op("Unsqueeze", "ngram/first_col", {first_float, u.last_axis})});
  return g.op("ReduceSum", "ngram_logits", {once, axis1}, {attr_int("keepdims", 0)});  // (B, O)
}

}  // namespace senti::onnx

// What every backend agrees on about its inputs: the batch check, the LSTM kind's names and the
// --cuda-graph values.
// (engine/backend.cpp, the factory, is built per CUDA variant; this file is not.)
#include <array>
#include <utility>

#include "engine/backend.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

constexpr std::array<std::pair<LstmKind, const char*>, 4> kLstmKindNames{{
    {LstmKind::Auto, "auto"},
    {LstmKind::Cudnn, "cudnn"},
    {LstmKind::Fused, "fused"},
    {LstmKind::StandIn, "stand-in"},
}};

}  // namespace

const char* lstm_kind_name(LstmKind kind) {
  for (const auto& [k, name] : kLstmKindNames)
    if (k == kind) return name;
  SENTI_CHECK(false, "unknown LstmKind ", static_cast<int>(kind));
  return "";
}

LstmKind parse_lstm_kind(const std::string& name) {
  for (const auto& [k, n] : kLstmKindNames)
    if (name == n) return k;
  SENTI_FAIL("--lstm: expected auto, cudnn, fused or stand-in, got '", name, "'");
}

bool parse_cuda_graph(const std::string& value) {
  if (value == "on") return true;
  if (value == "off") return false;
  SENTI_FAIL_SETTING("cuda_graph", "expected on or off, got '", value, "'");
}

void validate_batch(const Batch& b, const BackendOptions& opts) {
  SENTI_CHECK(b.ids && b.labels, "batch without ids or labels");
  // A data-parallel rank's share of a short last batch may be empty (Batch::global_batch).
  SENTI_CHECK(b.batch >= (b.global_batch > 0 ? 0 : 1) && b.batch <= opts.max_batch, "batch size ",
              b.batch, " outside 1..", opts.max_batch);
  SENTI_CHECK(b.global_batch >= 0 && b.row_offset >= 0 &&
                  (b.global_batch == 0 ? b.row_offset == 0
                                       : int64_t{b.row_offset} + b.batch <= b.global_batch),
              "rows [", b.row_offset, ", ", int64_t{b.row_offset} + b.batch,
              ") are not a share of a global batch of ", b.global_batch);
  SENTI_CHECK(b.maxlen >= 1 && b.maxlen <= opts.maxlen, "sequence length ", b.maxlen,
              " outside 1..", opts.maxlen);
  // On the host, while the batch is still in cache (B*T ints).
  const int V = opts.model.vocab_size;
  const int64_t n = static_cast<int64_t>(b.batch) * b.maxlen;
  for (int64_t i = 0; i < n; ++i)
    SENTI_CHECK(b.ids[i] >= 0 && b.ids[i] < V, "token id ", b.ids[i], " at position ", i,
                " (sample ", i / b.maxlen, ", step ", i % b.maxlen, ") outside [0, ", V, ")");
  // Labels: a class index (or 0/1) per row, or 0/1 per label for a multi-label head.
  const ModelConfig& m = opts.model;
  const int64_t label_count = static_cast<int64_t>(b.batch) * m.labels_per_row();
  const float top = m.head == Head::Softmax ? static_cast<float>(m.classes - 1) : 1.f;
  for (int64_t i = 0; i < label_count; ++i) {
    const float y = b.labels[i];
    SENTI_CHECK(y >= 0.f && y <= top && y == static_cast<float>(static_cast<int>(y)), "label ", y,
                " at ", i, " is not ", m.head == Head::Softmax ? "a class index in 0.." : "0 or ",
                m.head == Head::Softmax ? m.classes - 1 : 1);
  }
  if (!opts.class_weights.empty()) {
    SENTI_CHECK(m.head != Head::MultiLabel, "class weights are not defined for a multi-label head");
    SENTI_CHECK(static_cast<int>(opts.class_weights.size()) == m.classes, opts.class_weights.size(),
                " class weights for ", m.classes, " classes");
  }
  if (!opts.model.mask) return;
  // A masked model reads the real tokens from the lengths (docs/model.md); they must say where
  // the padding is, or the model would silently read padding or skip text.
  SENTI_CHECK(b.lengths, "a masked model needs the batch's lengths");
  const int T = b.maxlen;
  for (int r = 0; r < b.batch; ++r) {
    const int L = b.lengths[r];
    SENTI_CHECK(L >= 1 && L <= T, "length ", L, " of batch row ", r, " outside 1..", T);
    const int32_t* row = b.ids + static_cast<size_t>(r) * T;
    const int pad0 = b.padding == PadSide::Pre ? 0 : L, pad1 = pad0 + T - L;
    for (int t = 0; t < T; ++t) {
      const bool padded = t >= pad0 && t < pad1;
      SENTI_CHECK(padded == (row[t] == 0), "batch row ", r, " of length ", L, " has id ", row[t],
                  " at ", padded ? "padded" : "real-token", " position ", t,
                  padded ? "" : " (0 is the padding id, masked)");
    }
  }
}

}  // namespace senti

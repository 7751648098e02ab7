#pragma once
// A batch of padded id sequences in host memory, as the trainer hands it to a backend.
#include <cstdint>

namespace senti {

// Where pad_sequences put the padding (docs/model.md, "Lengths"): with Post the real tokens of row
// b are positions [0, len_b), with Pre they are [T - len_b, T).
enum class PadSide : uint8_t { Post, Pre };

struct Batch {
  const int32_t* ids = nullptr;      // (B, T) row-major token ids in [0, V); 0 = padding
  const float* labels = nullptr;     // (B) 0/1 (sigmoid head) or the class index (softmax head);
                                     // (B, K) 0/1 per label (multi-label head)
  const int32_t* lengths = nullptr;  // (B) true lengths (start token included), 1 <= len <= T
  int batch = 0;                     // B (the last batch of an epoch may be smaller)
  int maxlen = 0;                    // T: the padded sequence length
  PadSide padding = PadSide::Post;   // read with `lengths` by masked models only
  // Data-parallel training (docs/distributed.md): this batch is rows [row_offset, row_offset +
  // batch) of a global batch of global_batch rows split across the ranks. The training loss is
  // the global batch's mean and dropout masks are keyed by the global row, so N ranks compute
  // the gradient one process would (up to summation order). A rank's share may be empty
  // (batch 0) when the global batch has fewer rows than there are ranks.
  int row_offset = 0;
  int global_batch = 0;  // 0: this batch is the whole batch
  int mean_rows() const { return global_batch > 0 ? global_batch : batch; }
};

// Sums over the samples seen since the last Backend::take_metrics().
struct Metrics {
  double loss_sum = 0;  // sum of per-sample losses (kernels/common/math/head.h for K outputs)
  int64_t correct = 0;  // right predictions: (p > 0.5) == label, argmax == class, all labels right
  int64_t count = 0;    // samples (a language model: predicted tokens)
  double loss() const { return count ? loss_sum / count : 0.0; }
  double accuracy() const { return count ? static_cast<double>(correct) / count : 0.0; }
};

}  // namespace senti

#pragma once
// The n-gram part of an exported model (docs/model.md, "N-gram features"): the multi-hot features
// of each row computed inside the ONNX graph, and the sum of their dense-kernel rows, added to the
// logits. Opset 17 has no unsigned multiply or xor that onnxruntime runs on int64, so the uint32
// hash of kernels/common/math/ngram.h is written in int64 ops that never overflow:
//   a·c mod 2^32  = (a·c_lo + ((a·c_hi) mod 2^16)·2^16) mod 2^32     (c = c_hi·2^16 + c_lo)
//   a xor b       = Σ_k ((⌊a/2^k⌋ + ⌊b/2^k⌋) mod 2) · 2^k, k = 0..31
//   h >> s        = ⌊h / 2^s⌋
// Each row's features are sorted (TopK) and a feature equal to its neighbour is dropped, so each
// counts once; a run that covers padding maps to a zero-weight slot W.
#include <string>

#include "host/onnx/onnx_graph.h"
#include "host/run/checkpoint.h"

namespace senti::onnx {

// The n-gram logits (B, O) of `ids` (B, T) int64 for the checkpoint's model (ngrams >= 1), O the
// model's outputs() (1 for the sigmoid head, else K); the n-gram weights are the last
// ngram_width() rows of its (F + W, O) dense kernel, O columns each.
std::string add_ngram_logit(GraphBuilder& g, const Checkpoint& c, const std::string& ids);

}  // namespace senti::onnx

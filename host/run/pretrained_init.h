#pragma once
// `senti train --init PRETRAINED`: a classifier that starts from a language model of
// `senti pretrain` (docs/pretraining.md). The embedding and the LSTM (both directions) are copied;
// the Dense layer, Adam's moments and the step start fresh; those copied tensors learn at
// lr · lr_scale (OptimizerConfig::lr_scale).
#include <string>

#include "host/run/checkpoint.h"

namespace senti {

// Throws UsageError naming `flag` and the file when `pretrained` is not a language model.
void check_pretrained(const Checkpoint& pretrained, const std::string& path, const std::string& flag);

// Copies the pretrained tensors into `ckpt` (a fresh classifier whose vocabulary was encoded with
// the pretrained one) and sets their rate. Throws UsageError naming the flag to change when the
// vocabulary, the tokenizer, --embed, --hidden or --bidirectional differ.
void init_from_pretrained(Checkpoint* ckpt, const Checkpoint& pretrained, const std::string& path,
                          float lr_scale);

}  // namespace senti

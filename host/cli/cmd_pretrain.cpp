// `senti pretrain`: the embedding and LSTM learn to predict the next word (each direction: its
// next word in reading order) on the training text and unlabeled text, with a sampled softmax
// (kernels/common/math/lm.h); `senti train --init` then starts a classifier from them
// (docs/pretraining.md). The run itself is `train`'s (host/cli/cmd_train.cpp): checkpoints, metrics,
// TensorBoard (loss, perplexity), --resume, data-parallel launchers.
#include <memory>

#include "host/cli/commands.h"
#include "host/cli/train_flags.h"

namespace senti::cli {

void register_pretrain(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  flags->pretrain = true;
  CLI::App* cmd = app.add_subcommand(
      "pretrain", "Pretrain the embedding and LSTM as a language model on unlabeled text (then: train --init)");
  TrainFlags& f = *flags;
  cmd->add_option("--preset", f.preset,
                  "lm: the embedding and BiLSTM of `train --preset best` (--mask --bidirectional --embed "
                  "128 --hidden 64 --num-words 10000) as a language model on --data's training text "
                  "and unlabeled text (aclImdb's train/unsup, or --unlabeled-data), vocabulary from "
                  "both (--vocab-from train+unlabeled), --maxlen 400, --batch 64, --lr 0.002, "
                  "--clipnorm 1, --lm-samples 512, 1 epoch, 1 % of the documents held out for the "
                  "validation perplexity; lm-smoke: the same on 2,000 documents of 100 tokens. "
                  "Explicit flags override the preset")
      ->default_val("lm");
  add_train_flags(cmd, &f);
  cmd->callback([cmd, flags] { run_train(cmd, *flags); });
}

}  // namespace senti::cli

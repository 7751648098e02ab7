// `senti eval`: a saved model's loss, accuracy and per-class report on the data's test split.
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/run/checkpoint.h"
#include "host/run/class_report.h"
#include "host/data/class_order.h"
#include "host/run/multilabel_report.h"
#include "host/run/predictor.h"
#include "kernels/common/error.h"
#include "host/run/progress.h"
#include "host/run/trainer.h"
#include "host/cli/checkpoint_flag.h"
#include "host/cli/commands.h"
#include "host/cli/data_flags.h"
#include "host/cli/flag_names.h"
#include "host/cli/device_flags.h"
#include "host/text/tokenizers.h"

namespace senti::cli {
namespace {

struct EvalFlags {
  std::string checkpoint;
  std::string device = "auto";
  DataFlags data;
  int batch = 256;
  int64_t limit = -1;
  bool json = false;
  double threshold = 0.5;  // multi-label models
};

void run_eval(CLI::App* cmd, EvalFlags f) {
  const Checkpoint ckpt = load_checkpoint(f.checkpoint);
  if (ckpt.model.language_model())
    SENTI_FAIL("--checkpoint '", f.checkpoint, "' is a pretrained language model (senti pretrain); its "
               "validation perplexity is in its metrics.jsonl; fine-tune a classifier with `senti train --init`");
  check_tokenizer_reproducible(ckpt, "--checkpoint " + f.checkpoint);
  if (f.batch < 1 || f.batch > kMaxTrainBatch)
    SENTI_FAIL("--batch must be in 1..", kMaxTrainBatch, ", got ", f.batch);
  if (f.limit == 0 || f.limit < -1)
    SENTI_FAIL("--limit must be >= 1 (reviews to evaluate) or -1 for all, got ", f.limit);
  // The preprocessing comes from the checkpoint; only the data location (and the word index
  // file, when the model used one) come from the flags.
  if (cmd->count("--num-words") || cmd->count("--maxlen") || cmd->count("--padding") ||
      cmd->count("--truncating") || cmd->count("--tokenizer"))
    SENTI_FAIL("--num-words/--maxlen/--padding/--truncating/--tokenizer are read from the checkpoint; do not pass "
               "them to eval");
  require_device(f.device);
  f.data.num_words = ckpt.vocab.num_words;
  f.data.maxlen = ckpt.sequence.maxlen;
  f.data.padding = ckpt.sequence.padding == data::Side::Pre ? "pre" : "post";
  f.data.truncating = ckpt.sequence.truncating == data::Side::Pre ? "pre" : "post";
  f.data.tokenizer = text::tokenizer_name(ckpt.tokenizer);
  f.data.multi_label = ckpt.model.head == Head::MultiLabel;  // read the labels as it was trained
  check_threshold(f.threshold);
  // A vocabulary counted over unlabeled text too (--vocab-from train+unlabeled, a pretrained
  // model's) cannot be rebuilt from --data alone: the test split is encoded with the checkpoint's.
  if (ckpt.vocab.source == "train+unlabeled") f.data.fixed_vocab = std::make_shared<const data::Vocabulary>(ckpt.vocab);
  data::Corpus corpus = load_corpus(f.data, /*verbose=*/!f.json);
  if (corpus.vocab.hash() != ckpt.vocab.hash())
    SENTI_FAIL("--checkpoint '", f.checkpoint, "' was trained with another vocabulary (",
               ckpt.vocab.source, ") than the one built now (", corpus.vocab.source,
               "); pass the same --data and --word-index as in training");
  // The checkpoint's label order (train --classes may have chosen it); the same names are needed.
  data::order_classes(&corpus, ckpt.classes, "--data (against --checkpoint '" + f.checkpoint + "')");
  if (corpus.test.size() == 0)
    SENTI_FAIL("--data: no test split to evaluate (give --test-data, or --test-split > 0 when the data has "
               "no test part)");

  auto backend =
      open_backend(f.device, inference_backend_options(ckpt, f.batch), f.json ? nullptr : stdout);
  TrainState state = ckpt.state;
  const size_t n = state.params.size();
  if (state.m.empty()) state.m.assign(n, 0.f), state.v.assign(n, 0.f);
  backend->set_state(state);

  const std::vector<int64_t> rows =
      sample_rows(static_cast<int64_t>(corpus.test.size()), f.limit, ckpt.seed);
  const auto t0 = std::chrono::steady_clock::now();
  // The live line goes to stderr, so stdout keeps only the result (and --json stays parseable).
  ProgressLine progress(stderr, ProgressLine::is_terminal(stderr), 0);
  std::vector<float> probs;
  const Metrics m = evaluate(*backend, corpus.test, rows, f.batch, ckpt.sequence, nullptr, &probs,
                             &progress, "test");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ckpt.model.head == Head::MultiLabel) {
    std::vector<std::vector<int32_t>> truth;
    for (int64_t r : rows) truth.push_back(corpus.test.label_set(static_cast<size_t>(r)));
    const MultiLabelReport report = multilabel_report(probs, truth, ckpt.classes, f.threshold);
    if (f.json) {
      std::printf("%s\n", nlohmann::json{{"test_loss", m.loss()}, {"test_exact_match", m.accuracy()},
                                         {"test_samples", m.count}, {"test_micro_f1", report.micro_f1},
                                         {"test_macro_f1", report.macro_f1}, {"report", report.to_json()},
                                         {"seconds", secs}}.dump().c_str());
    } else {
      std::printf("test: %lld documents - loss: %.4f - exact match: %.4f - %.1fs\n",
                  static_cast<long long>(m.count), m.loss(), m.accuracy(), secs);
      std::printf("%s", report.table().c_str());
    }
    return;
  }
  std::vector<int32_t> truth;
  truth.reserve(rows.size());
  for (int64_t r : rows) truth.push_back(corpus.test.labels[static_cast<size_t>(r)]);
  const ClassReport report = class_report(truth, predicted_classes(probs, ckpt.model.outputs()), ckpt.classes);
  if (f.json) {
    std::printf("%s\n", nlohmann::json{{"test_loss", m.loss()},
                                       {"test_acc", m.accuracy()},
                                       {"test_samples", m.count},
                                       {"test_macro_f1", report.macro_f1},
                                       {"report", report.to_json()},
                                       {"seconds", secs}}
                            .dump()
                            .c_str());
  } else {
    std::printf("test: %lld reviews - loss: %.4f - acc: %.4f - %.1fs (%.0f reviews/s)\n",
                static_cast<long long>(m.count), m.loss(), m.accuracy(), secs, m.count / secs);
    std::printf("%s", report.table().c_str());
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a checkpoint on the data's test split: loss, accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix");
  EvalFlags& f = *flags;
  add_checkpoint_flag(cmd, &f.checkpoint);
  add_device_flag(cmd, &f.device);
  add_data_flags(cmd, &f.data);
  add_integer_option(cmd, "--batch", f.batch, "Evaluation batch size")->default_val(256);
  add_integer_option(cmd, "--limit", f.limit,
                     "Evaluate on N test reviews (a seeded sample); -1 = all")
      ->default_val(-1);
  cmd->add_flag("--json", f.json, "Print one JSON object instead of text");
  cmd->add_option("--threshold", f.threshold,
                  "Multi-label models: a label is predicted when its probability is above this")
      ->default_val(0.5);
  cmd->callback([cmd, flags] { run_eval(cmd, *flags); });
}

}  // namespace senti::cli

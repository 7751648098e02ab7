// `senti predict`: probabilities for raw reviews given on the command line, in a file (one review a
// line) or on standard input, through the Predictor (the checkpoint's own preprocessing). Reviews
// are read and scored `--batch` at a time, so a file of any size streams through in bounded memory.
//
// Output, one line per review, on stdout:
//   text:  <prob_positive>\t<label>\t<the review, shortened to one line>
//   json:  {"text": ..., "prob_positive": ..., "label": "positive"}
// and for a K-class model <prob of the predicted class>\t<its name>\t<review> (--top-k N: the N
// most probable on a second line), json {"text", "label", "prob", "probs": {class: p, ...}}.
// and at the end on stderr: how many reviews, how long, reviews/s.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "host/data/class_order.h"
#include "host/data/review_lines.h"
#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "host/run/explainer.h"
#include "host/run/predictor.h"
#include "host/run/class_report.h"
#include "host/run/multilabel_report.h"
#include "host/run/progress.h"
#include "host/cli/checkpoint_flag.h"
#include "host/cli/commands.h"
#include "host/cli/device_flags.h"
#include "host/cli/flag_names.h"

namespace senti::cli {
namespace {

struct PredictFlags {
  std::string checkpoint;
  std::vector<std::string> texts;
  std::string file;  // "-" = standard input
  std::string device = "auto";
  int batch = 128;
  bool json = false;
  bool ids = false;   // --ids: also the padded token ids the model was fed (JSON only)
  bool explain = false;  // --explain: each word's contribution (host/run/explainer.h)
  bool quiet = false;
  int top_k = 1;             // --top-k: the N most probable classes (K-class models)
  std::string explain_class; // --explain-class NAME: explain this class instead of the predicted one
  double threshold = 0.5;    // multi-label models: the labels above it are predicted
};

constexpr int kMaxBatch = 4096;
constexpr size_t kSnippetChars = 72;
// Reviews waiting to be scored are scored early once they hold this many bytes, so that a batch of
// long lines (each up to data::kMaxReviewBytes) stays bounded in memory too.
constexpr size_t kMaxPendingBytes = size_t{64} << 20;

// The review shortened for the text format: at most kSnippetChars code points, control characters
// (newlines, tabs) as spaces, never cutting a UTF-8 sequence in half.
std::string snippet(const std::string& text) {
  std::string out;
  size_t chars = 0, i = 0;
  while (i < text.size() && chars < kSnippetChars) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 1;
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    n = std::min(n, text.size() - i);
    if (c < 0x20 || c == 0x7F) out += ' ';
    else out.append(text, i, n);
    i += n;
    ++chars;
  }
  if (i < text.size()) out += "...";
  return out;
}

// What one output line carries besides the text and probability.
struct Extras {
  const float* probs = nullptr;                   // K-class models: the text's K probabilities
  const std::vector<std::string>* classes = nullptr;
  int top_k = 1;
  const std::vector<std::string>* labels = nullptr;  // multi-label models: those above the threshold
  std::vector<int32_t> ids;  // with --ids: the padded sequence (maxlen ids)
  int32_t length = 0;        // its true length, start token included
  const Explanation* explanation = nullptr;  // with --explain
};

// The top_k classes by probability (ties: the lower index first), as (index, probability).
std::vector<std::pair<size_t, float>> top_classes(const float* probs, size_t K, size_t top_k) {
  std::vector<std::pair<size_t, float>> top;
  for (const int32_t k : classes_by_probability(probs, static_cast<int>(K))) {
    if (top.size() == top_k) break;
    top.emplace_back(static_cast<size_t>(k), probs[k]);
  }
  return top;
}

void print_result(const std::string& text, float prob, const std::string& label, bool json, const Extras* extras) {
  const bool k_class = extras && extras->probs;
  const size_t K = k_class ? extras->classes->size() : 0;
  if (json) {
    nlohmann::json line = {{"text", text}, {"label", label}};
    if (k_class) {  // every class's probability, and the top ones in order
      line["prob"] = prob;
      if (extras->labels) line["labels"] = *extras->labels;
      nlohmann::json all = nlohmann::json::object();
      for (size_t k = 0; k < K; ++k) all[(*extras->classes)[k]] = extras->probs[k];
      line["probs"] = std::move(all);
      if (extras->top_k > 1) {
        nlohmann::json top = nlohmann::json::array();
        for (const auto& [k, p] : top_classes(extras->probs, K, static_cast<size_t>(extras->top_k)))
          top.push_back({{"label", (*extras->classes)[k]}, {"prob", p}});
        line["top_k"] = std::move(top);
      }
    } else {
      line["prob_positive"] = prob;
    }
    if (extras && !extras->ids.empty()) {
      line["ids"] = extras->ids;
      line["length"] = extras->length;
    }
    if (extras && extras->explanation)
      line["explanation"] = explanation_json(
          *extras->explanation, text,
          k_class ? (*extras->classes)[static_cast<size_t>(extras->explanation->explained_class)] : std::string());
    // Invalid UTF-8 in the review is written as U+FFFD rather than failing the whole run.
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    char prob_text[32];
    std::snprintf(prob_text, sizeof prob_text, "%.4f", prob);
    std::cout << prob_text << '\t' << label << '\t' << snippet(text) << '\n';
    if (k_class && extras->top_k > 1) {  // the runners-up, on one indented line
      std::cout << "\ttop " << std::min<size_t>(static_cast<size_t>(extras->top_k), K) << ":";
      for (const auto& [k, p] : top_classes(extras->probs, K, static_cast<size_t>(extras->top_k))) {
        std::snprintf(prob_text, sizeof prob_text, "%.4f", p);
        std::cout << ' ' << (*extras->classes)[k] << ' ' << prob_text;
      }
      std::cout << '\n';
    }
    if (extras && extras->explanation)  // the strongest words, on one indented line
      std::cout << "\twhy (log-odds, leave one word out): "
                << top_words(*extras->explanation, text, 8) << '\n';
  }
}

// Reviews scored so far, for the progress line and the summary.
struct Tally {
  size_t reviews = 0, positive = 0;
};

// --explain-class as a class index (-1: the default class, see explain()).
int explain_class_index(const Predictor& predictor, const PredictFlags& f) {
  if (f.explain_class.empty()) return -1;
  const auto& classes = predictor.classes();
  const auto it = std::find(classes.begin(), classes.end(), f.explain_class);
  if (it == classes.end())
    SENTI_FAIL("--explain-class: '", f.explain_class, "' is not a class of the checkpoint (",
               data::join_names(classes), ")");
  return static_cast<int>(it - classes.begin());
}

// Scores `pending` and prints it; returns how many reviews were scored.
size_t flush(Predictor& predictor, std::vector<std::string>* pending, const PredictFlags& f,
             Tally* tally = nullptr) {
  const std::vector<float> probs = predictor.predict(*pending);
  const size_t O = static_cast<size_t>(predictor.outputs());
  if (tally) {
    tally->reviews += pending->size();
    if (O == 1)
      for (const float p : probs) tally->positive += is_positive(p);
  }
  const std::vector<Explanation> explanations =
      f.explain ? explain(predictor, *pending, explain_class_index(predictor, f)) : std::vector<Explanation>();
  Extras extras;
  extras.classes = &predictor.classes();
  extras.top_k = f.top_k;
  std::vector<std::string> above;
  for (size_t i = 0; i < pending->size(); ++i) {
    const float* row = probs.data() + i * O;
    extras.probs = O == 1 ? nullptr : row;
    const float top = O == 1 ? row[0] : row[predicted_class(row, static_cast<int>(O))];
    std::string label = predictor.label_of(row);
    if (predictor.multi_label()) {  // every label above the threshold, most probable first
      above = labels_above(row, predictor.classes(), f.threshold);
      extras.labels = &above;
      label.clear();
      for (const std::string& a : above) label += (label.empty() ? "" : ",") + a;
      if (label.empty()) label = "(none)";
    }
    if (f.ids) {
      extras.ids.resize(static_cast<size_t>(predictor.sequence().maxlen));
      extras.length = predictor.encode((*pending)[i], extras.ids.data());
    }
    extras.explanation = f.explain ? &explanations[i] : nullptr;
    print_result((*pending)[i], top, label, f.json, &extras);
  }
  // A full disk or /dev/full: stop at once rather than score the rest into the void.
  if (!std::cout.flush())
    throw Error(detail::concat("cannot write standard output (", std::strerror(errno),
                               "): the output is incomplete"));
  const size_t n = pending->size();
  pending->clear();
  return n;
}

// Lines in a file as predict_stream counts them (a last line without '\n' counts); -1 if unreadable.
int64_t count_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return -1;
  std::vector<char> buf(1 << 20);
  int64_t lines = 0;
  char last = '\n';
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    lines += std::count(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got), '\n');
    last = buf[got - 1];
  }
  return lines + (last != '\n');
}

// Reads one review a line through data::ReviewLineReader (a trailing \r of CRLF files dropped;
// empty lines are empty reviews, so output line k always belongs to input line k; a line over the
// training cap or not UTF-8 text is an error naming it), scoring every `batch` lines. With
// `progress`, a task line counts them (the share of positive reviews as the running figure).
size_t predict_stream(Predictor& predictor, int fd, const std::string& name, const PredictFlags& f,
                      ProgressLine* progress) {
  data::ReviewLineReader reader(fd, name);
  std::vector<std::string> pending;
  size_t pending_bytes = 0;
  std::string line;
  Tally tally;
  const auto t0 = std::chrono::steady_clock::now();
  auto score = [&] {
    flush(predictor, &pending, f, &tally);
    pending_bytes = 0;
    if (!progress) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char figures[48] = "";
    if (predictor.outputs() == 1)
      std::snprintf(figures, sizeof figures, "%s: %.1f%%", predictor.label_of(1.f).c_str(),
                    tally.reviews ? 100.0 * tally.positive / tally.reviews : 0.0);
    progress->task_update(static_cast<int64_t>(tally.reviews), s, figures);
  };
  while (reader.next(&line)) {
    pending_bytes += line.size();
    pending.push_back(std::move(line));
    line = std::string();
    if (pending.size() == static_cast<size_t>(predictor.batch()) || pending_bytes >= kMaxPendingBytes)
      score();
  }
  score();
  if (progress) progress->end_task();
  return tally.reviews;
}

// The progress line of a batch run (--file or standard input), or null. On stderr, and only where
// it does not mix with the results: a live line when stderr is a terminal and stdout is not (the
// results go to a file or a pipe), plain lines when stderr is not a terminal (a log), none when
// both are the same terminal (the results themselves scroll by) or with --quiet.
std::unique_ptr<ProgressLine> batch_progress(const PredictFlags& f) {
  if (f.quiet) return nullptr;
  const bool err_tty = ProgressLine::is_terminal(stderr), out_tty = ProgressLine::is_terminal(stdout);
  if (err_tty && out_tty) return nullptr;
  // Unknown totals (standard input): a plain line every 10,000 reviews.
  auto p = std::make_unique<ProgressLine>(stderr, err_tty, 10000);
  const int64_t total = f.file.empty() || f.file == "-" ? 0 : count_lines(f.file);
  p->start_task("predict", std::max<int64_t>(total, 0), "reviews");
  return p;
}

void run_predict(const PredictFlags& f) {
  if (f.batch < 1 || f.batch > kMaxBatch)
    SENTI_FAIL("--batch must be in 1..", kMaxBatch, ", got ", f.batch);
  if (f.ids && !f.json) SENTI_FAIL("--ids needs --json (the ids go into each JSON line)");
  if (f.top_k < 1) SENTI_FAIL("--top-k must be >= 1, got ", f.top_k);
  check_threshold(f.threshold);
  if (!f.explain_class.empty() && !f.explain) SENTI_FAIL("--explain-class needs --explain");
  if (!f.texts.empty() && !f.file.empty())
    SENTI_FAIL("give reviews either as arguments or with --file, not both");
  int file = -1;  // --file's descriptor, closed on the way out
  if (!f.file.empty() && f.file != "-") {
    file = ::open(f.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file < 0) SENTI_FAIL("--file '", f.file, "': cannot open it for reading (", std::strerror(errno), ")");
  }
  const std::unique_ptr<int, void (*)(int*)> close_file(&file, [](int* fd) {
    if (*fd >= 0) ::close(*fd);
  });

  const Checkpoint ckpt = load_checkpoint(f.checkpoint);
  check_inference_ready(ckpt, f.checkpoint);
  FILE* log = f.quiet ? nullptr : stderr;
  auto backend = open_backend(f.device, inference_backend_options(ckpt, f.batch), log);
  Predictor predictor(ckpt, std::move(backend), f.batch, f.checkpoint);
  (void)explain_class_index(predictor, f);  // an unknown class name fails before any output

  const auto t0 = std::chrono::steady_clock::now();
  size_t n = 0;
  if (!f.texts.empty()) {
    for (size_t i = 0; i < f.texts.size(); i += static_cast<size_t>(f.batch)) {
      std::vector<std::string> chunk(f.texts.begin() + i,
                                     f.texts.begin() + std::min(f.texts.size(), i + f.batch));
      n += flush(predictor, &chunk, f);
    }
  } else if (file >= 0) {
    n = predict_stream(predictor, file, "--file '" + f.file + "'", f, batch_progress(f).get());
  } else {
    if (log && isatty(STDIN_FILENO))
      std::fprintf(log, "senti predict: reading reviews from standard input, one a line (Ctrl-D ends)\n");
    n = predict_stream(predictor, STDIN_FILENO, "standard input", f, batch_progress(f).get());
  }
  std::cout.flush();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (log)
    std::fprintf(log, "senti predict: %zu reviews in %.3f s (%.1f reviews/s, batch %d)\n", n, s,
                 s > 0 ? static_cast<double>(n) / s : 0.0, f.batch);
}

}  // namespace

void register_predict(CLI::App& app) {
  auto f = std::make_shared<PredictFlags>();
  auto* cmd = app.add_subcommand(
      "predict",
      "The predicted class and its probability for each text (two classes: the probability of the "
      "second, e.g. positive), with the checkpoint's own preprocessing. Texts "
      "come from the arguments, --file (one per line) or standard input (one per line)");
  add_checkpoint_flag(cmd, &f->checkpoint);
  cmd->add_option("texts", f->texts, "Reviews to score (quote each one)");
  cmd->add_option("--file", f->file,
                  "Read reviews from this file, one per line ('-' = standard input; so is no --file "
                  "and no texts). UTF-8 text: UTF-16/32 input is refused, naming the line; a line "
                  "may have at most " + std::to_string(data::kMaxReviewBytes >> 20) +
                      " MiB, as a training review (a longer one is an error)")
      ->check(non_empty_path());
  add_device_flag(cmd, &f->device);
  add_integer_option(cmd, "--batch", f->batch, "Reviews per forward pass")->default_val(128);
  cmd->add_flag("--json", f->json,
                "Print JSON lines: {\"text\": ..., \"prob_positive\": ..., \"label\": ...}");
  cmd->add_flag("--ids", f->ids,
                "With --json: also \"ids\" (the padded token ids the model was fed, maxlen of them) "
                "and \"length\" (start token included): the input an exported ONNX model takes");
  cmd->add_flag("--explain", f->explain,
                "Also each word's contribution to the prediction (log-odds, by leaving the word "
                "out; docs/serving.md): the strongest words on a second line, or \"explanation\" "
                "in --json. One extra forward pass per word");
  add_integer_option(cmd, "--top-k", f->top_k,
                     "K-class models: also the N most probable classes with their probabilities "
                     "(a second line, or \"top_k\" in --json)")
      ->default_val(1);
  cmd->add_option("--threshold", f->threshold,
                  "Multi-label models: print every label whose probability is above this (the "
                  "label column lists them, most probable first; \"labels\" in --json)")
      ->default_val(0.5);
  cmd->add_option("--explain-class", f->explain_class,
                  "With --explain: the class whose log-odds the words are measured in (default: "
                  "the predicted class; two-class models: the second class)");
  cmd->add_flag("--quiet,-q", f->quiet, "No backend line and no throughput line on stderr");
  cmd->callback([f] { run_predict(*f); });
}

}  // namespace senti::cli

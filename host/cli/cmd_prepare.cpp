// `senti prepare`: read the IMDB data (folder or .tar.gz), build the vocabulary and the token
// cache, and report what was found. Always rebuilds (it is the explicit "do it now" command);
// train/eval/bench reuse the cache through load_corpus.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/common/error.h"
#include "host/cli/commands.h"
#include "host/cli/data_flags.h"
#include "host/data/corpus_stats.h"
#include "host/run/progress.h"

namespace senti::cli {
namespace {

std::string with_commas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

void print_split(const char* name, const data::SplitStats& s, int maxlen, const std::vector<std::string>& classes) {
  // Classes in index order, each with its count and share ("pos" last for aclImdb: neg = 0).
  std::string counts;
  for (size_t k = 0; k < classes.size() && k < 50; ++k) {
    char share[32];
    std::snprintf(share, sizeof(share), " (%.1f%%)",
                  s.reviews ? 100.0 * static_cast<double>(s.per_class[k]) / static_cast<double>(s.reviews) : 0.0);
    counts += (k ? " / " : "") + with_commas(s.per_class[k]) + " " + classes[k] + share;
  }
  if (classes.size() > 50) counts += " / ... (" + std::to_string(classes.size()) + " classes)";
  std::printf("  %-5s %s documents: %s\n", name, with_commas(s.reviews).c_str(), counts.c_str());
  if (s.reviews == 0) return;
  std::printf("        length (start token included): mean %.1f, median %s, p90 %s, max %s; "
              "%.1f%% truncated at maxlen %d\n",
              s.mean_length, with_commas(s.median_length).c_str(), with_commas(s.p90_length).c_str(),
              with_commas(s.max_length).c_str(), 100.0 * s.truncated_share, maxlen);
  std::printf("        %s word tokens, %.2f%% out-of-vocabulary\n", with_commas(s.tokens).c_str(),
              s.tokens ? 100.0 * static_cast<double>(s.oov_tokens) / static_cast<double>(s.tokens) : 0.0);
}

void run_prepare(DataFlags flags, const std::string& out_dir) {
  if (!out_dir.empty()) {
    if (!flags.cache_dir.empty() && flags.cache_dir != out_dir)
      SENTI_FAIL("--out ", out_dir, " and --cache-dir ", flags.cache_dir, " disagree; give one of them");
    flags.cache_dir = out_dir;
  }
  data::CorpusRequest req = corpus_request(flags);
  req.force_rebuild = true;
  req.cache_dir_flag = out_dir.empty() ? "--cache-dir" : "--out";
  const int maxlen = sequence_options(flags).maxlen;
  // Live line on stderr (stdout keeps the report): reviews read, share of the input, ETA.
  ProgressLine progress(stderr, ProgressLine::is_terminal(stderr), 0);
  progress.start_task("prepare", 0, "reviews");
  const auto t0 = std::chrono::steady_clock::now();
  req.progress = [&](int64_t reviews, double fraction) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (progress.task_due(reviews, s, fraction)) progress.task_update(reviews, s, "", fraction);
  };
  const data::CorpusResult r = data::load_or_build_corpus(req);
  progress.end_task();
  const data::Corpus& c = r.corpus;

  std::printf("senti prepare: %s\n", req.data.path.c_str());
  std::printf("  read as %s; %zu classes, label k is: %s\n", c.source.c_str(), c.classes.size(),
              [&] {
                std::string names;
                for (size_t k = 0; k < c.classes.size() && k < 50; ++k) names += (k ? ", " : "") + std::to_string(k) + " " + c.classes[k];
                return names;
              }().c_str());
  print_split("train", data::split_stats(c.train, maxlen, c.classes.size()), maxlen, c.classes);
  if (c.validation.size()) print_split("valid", data::split_stats(c.validation, maxlen, c.classes.size()), maxlen, c.classes);
  print_split("test", data::split_stats(c.test, maxlen, c.classes.size()), maxlen, c.classes);
  if (c.unlabeled.size())
    std::printf("  unlabeled: %s documents, %s tokens (--unlabeled-data; not trained on as labels)\n",
                with_commas(static_cast<int64_t>(c.unlabeled.size())).c_str(),
                with_commas(static_cast<int64_t>(c.unlabeled.tokens.size())).c_str());
  auto movies = [](const data::Split& s) {
    std::vector<int32_t> m(s.movies);
    std::sort(m.begin(), m.end());
    return static_cast<int64_t>(std::unique(m.begin(), m.end()) - m.begin());
  };
  if (!c.train.movies.empty() || !c.test.movies.empty() || !c.unlabeled.movies.empty())
    std::printf("  movies (urls files): %s train, %s test, %s unlabeled\n", with_commas(movies(c.train)).c_str(),
                with_commas(movies(c.test)).c_str(), with_commas(movies(c.unlabeled)).c_str());
  std::printf("  vocabulary: ids < %s (%s words from id 3; %s distinct words in the train split), source %s\n",
              with_commas(c.vocab.num_words).c_str(), with_commas(static_cast<int64_t>(c.vocab.words.size())).c_str(),
              with_commas(static_cast<int64_t>(r.build.distinct_train_words)).c_str(), c.vocab.source.c_str());
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(r.cache_path, ec);
  std::printf("  cache: %s (%.1f MB)\n", r.cache_path.c_str(), ec ? 0.0 : static_cast<double>(bytes) / 1e6);
  std::printf("  time: %.2f s (%.1f MB of reviews read, tokenized and cached)\n", r.seconds,
              static_cast<double>(r.build.input_bytes) / 1e6);
}

}  // namespace

void register_prepare(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "prepare", "Read the labeled text (aclImdb, class folders, CSV/TSV/JSON Lines/fastText files), build the "
                 "vocabulary and the token cache, and print counts and length statistics");
  auto flags = std::make_shared<DataFlags>();
  auto out_dir = std::make_shared<std::string>();
  add_data_flags(cmd, flags.get());
  cmd->add_option("--out", *out_dir, "Folder to write the token cache into (same as --cache-dir)");
  cmd->callback([flags, out_dir] { run_prepare(*flags, *out_dir); });
}

}  // namespace senti::cli

#include "host/run/trainer.h"
#include "host/run/class_report.h"
#include "host/run/multilabel_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "host/run/metrics_log.h"

namespace senti {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::shared_ptr<void> host_alloc(Backend& backend, size_t bytes) {
  HostBuffer b = backend.alloc_host(bytes);
  auto deleter = b.get_deleter();
  return std::shared_ptr<void>(b.release(), deleter);
}

std::vector<stream::BatchSlot> slots_for(Backend& backend, int batch, int maxlen) {
  const ModelConfig& m = backend.options().model;
  return stream::make_slots(3, batch, maxlen, [&](size_t n) { return host_alloc(backend, n); },
                            m.labels_per_row());
}

void accumulate(Metrics* total, const Metrics& m) {
  total->loss_sum += m.loss_sum;
  total->correct += m.correct;
  total->count += m.count;
}

// The divergence guard's message: where it happened, what is kept, what to try.
[[noreturn]] void diverged(const std::string& what, int epoch, int64_t step, int64_t steps,
                           int64_t good_epoch, const std::string& out_dir) {
  std::string kept = "no checkpoint was written";
  if (good_epoch > 0 && !out_dir.empty())
    kept = (std::filesystem::path(out_dir) / "latest.safetensors").string() + " still holds epoch " +
           std::to_string(good_epoch);
  throw TrainingDiverged(detail::concat(
      "training diverged in epoch ", epoch, " (step ", step, " of ", steps, "): ", what,
      "; stopped without saving this epoch (", kept,
      "). Try a lower --lr or tighter clipping (--clipnorm / --global-clipnorm)"));
}

// A loss that is NaN, infinite or above max_loss (when max_loss > 0) is divergence.
void check_loss(const char* which, double loss, double max_loss, int epoch, int64_t step,
                int64_t steps, int64_t good_epoch, const std::string& out_dir) {
  char text[160];
  if (!std::isfinite(loss))
    std::snprintf(text, sizeof text, "the %s loss is %g", which, loss);
  else if (max_loss > 0 && loss > max_loss)
    std::snprintf(text, sizeof text, "the %s loss %.6g is above --max-loss %g", which, loss, max_loss);
  else
    return;
  diverged(text, epoch, step, steps, good_epoch, out_dir);
}

}  // namespace

void validate_train_options(const TrainOptions& o) {
  // Written as !(ok) where a double is compared, so that NaN is refused too.
  if (o.batch_size < 1 || o.batch_size > kMaxTrainBatch)
    SENTI_FAIL_SETTING("batch_size", "must be in 1..", kMaxTrainBatch, ", got ", o.batch_size);
  if (o.epochs < 1) SENTI_FAIL_SETTING("epochs", "must be >= 1, got ", o.epochs);
  if (!(o.validation_split >= 0 && o.validation_split < 1))
    SENTI_FAIL_SETTING("validation_split", "must be in [0, 1), got ", o.validation_split);
  if (o.limit < 0) SENTI_FAIL_SETTING("limit", "must be >= 0 (0 = all), got ", o.limit);
  if (o.test_limit < -1)
    SENTI_FAIL_SETTING("test_limit", "must be >= 0 (0 = skip) or -1 (all), got ", o.test_limit);
  if (o.log_every < 0) SENTI_FAIL_SETTING("log_every", "must be >= 0 (0 = off), got ", o.log_every);
  if (!(std::isfinite(o.max_loss) && o.max_loss >= 0))
    SENTI_FAIL_SETTING("max_loss", "must be a finite number >= 0 (0 = off), got ", o.max_loss);
  if (o.monitor != "val_acc" && o.monitor != "val_loss" && o.monitor != "val_macro_f1")
    SENTI_FAIL_SETTING("monitor", "must be val_acc, val_loss or val_macro_f1, got '", o.monitor, "'");
  if (o.early_stopping < 0)
    SENTI_FAIL_SETTING("early_stopping", "must be >= 0 (epochs of patience; 0 = off), got ",
                       o.early_stopping);
  if (o.validation_split_by != "review" && o.validation_split_by != "movie")
    SENTI_FAIL_SETTING("validation_split_by", "must be review or movie, got '",
                       o.validation_split_by, "'");
  if (o.early_stopping > 0 && o.validation_split <= 0)
    SENTI_FAIL_SETTING("early_stopping", "needs validation data: pass --validation-split > 0");
}

void validate_train_options(const TrainOptions& o, const ModelConfig& model) {
  validate_train_options(o);
  if (o.bucket && !model.mask)
    SENTI_FAIL_SETTING("bucket", "needs --mask: without the mask the padding is part of the "
                       "model's input, so batches trimmed to their longest review would change "
                       "what the model sees");
}

namespace {
// --limit keeps the first N of `order`; the last validation_split of those are validation.
SplitRows split_order(std::vector<int64_t> order, const TrainOptions& opts) {
  if (opts.limit > 0 && opts.limit < static_cast<int64_t>(order.size()))
    order.resize(static_cast<size_t>(opts.limit));
  const auto total = static_cast<int64_t>(order.size());
  const auto n_val = static_cast<int64_t>(std::llround(opts.validation_split * total));
  SplitRows r;
  r.train.assign(order.begin(), order.end() - n_val);
  r.validation.assign(order.end() - n_val, order.end());
  if (r.train.empty())
    SENTI_FAIL("no training reviews left: --limit ", opts.limit, " with --validation-split ",
               opts.validation_split);
  return r;
}
}  // namespace

SplitRows split_rows(int64_t n, const TrainOptions& opts) {
  validate_train_options(opts);
  SENTI_CHECK(opts.validation_split_by == "review",
              "split_rows: a split by movie needs the reviews' ids (pass the Split)");
  std::vector<int64_t> shuffled, unused;
  data::validation_split(n, 0.0, opts.seed, &shuffled, &unused);
  return split_order(std::move(shuffled), opts);
}

SplitRows split_rows(const data::Split& train, const TrainOptions& opts) {
  validate_train_options(opts);
  if (opts.validation_split_by == "review") return split_rows(static_cast<int64_t>(train.size()), opts);
  return split_order(data::movie_block_order(train, opts.seed), opts);
}

std::vector<int64_t> sample_rows(int64_t n, int64_t limit, uint64_t seed) {
  std::vector<int64_t> rows;
  if (limit < 0 || limit >= n) {
    rows.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
    return rows;
  }
  std::vector<int64_t> unused;
  data::validation_split(n, 0.0, seed, &rows, &unused);
  rows.resize(static_cast<size_t>(limit));
  return rows;
}

std::vector<int64_t> epoch_order(const std::vector<int64_t>& rows, uint64_t seed, int epoch) {
  std::vector<int64_t> out(rows);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch));
  for (size_t i = out.size(); i > 1; --i) {  // Fisher–Yates with an exact bounded draw
    const uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = rng(); while (x >= limit);
    std::swap(out[i - 1], out[x % bound]);
  }
  return out;
}

std::vector<int64_t> bucketed_order(const std::vector<int64_t>& shuffled, const data::Split& split,
                                    int batch_size, uint64_t seed, int epoch) {
  SENTI_CHECK(batch_size > 0, "bucketed_order: batch_size ", batch_size);
  std::vector<int64_t> rows(shuffled);
  const size_t window = static_cast<size_t>(batch_size) * kBucketWindowBatches;
  for (size_t w = 0; w < rows.size(); w += window)
    std::stable_sort(rows.begin() + static_cast<std::ptrdiff_t>(w),
                     rows.begin() + static_cast<std::ptrdiff_t>(std::min(rows.size(), w + window)),
                     [&](int64_t a, int64_t b) {
                       return split.length(static_cast<size_t>(a)) < split.length(static_cast<size_t>(b));
                     });
  // Only the last window can end in a partial batch: it stays last, the full ones are shuffled.
  const size_t full = rows.size() / static_cast<size_t>(batch_size);
  const std::vector<int64_t> batch_order = epoch_order(
      [&] {
        std::vector<int64_t> ids(full);
        for (size_t i = 0; i < full; ++i) ids[i] = static_cast<int64_t>(i);
        return ids;
      }(),
      seed ^ 0xB0C4E7ull, epoch);
  std::vector<int64_t> out;
  out.reserve(rows.size());
  for (int64_t bi : batch_order)
    out.insert(out.end(), rows.begin() + bi * batch_size, rows.begin() + (bi + 1) * batch_size);
  out.insert(out.end(), rows.begin() + static_cast<std::ptrdiff_t>(full * batch_size), rows.end());
  return out;
}

Metrics evaluate(Backend& backend, const data::Split& split, const std::vector<int64_t>& rows,
                 int batch_size, const data::SequenceOptions& seq,
                 std::vector<stream::BatchSlot>* slots, std::vector<float>* probs,
                 ProgressLine* progress, const std::string& progress_label) {
  SENTI_NVTX_RANGE("evaluation");
  std::vector<stream::BatchSlot> own;
  if (!slots) {
    own = slots_for(backend, batch_size, seq.maxlen);
    slots = &own;
  }
  const size_t outputs = static_cast<size_t>(backend.options().model.outputs());
  if (probs) probs->resize(rows.size() * outputs);  // (rows, O)
  backend.take_metrics();  // start from zero
  // A masked model's outputs do not depend on the padding: pad each batch only to its longest row.
  stream::BatchStream batches(split, rows, batch_size, seq, slots, backend.options().model.mask);
  const auto t0 = Clock::now();
  auto figures = [](const Metrics& m) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "loss: %.4f - acc: %.4f", m.loss(), m.accuracy());
    return std::string(buf);
  };
  if (progress) progress->start_task(progress_label, static_cast<int64_t>(rows.size()), "reviews");
  Metrics total;
  size_t done = 0;
  while (const Batch* b = batches.next()) {
    backend.eval_step(*b, probs ? probs->data() + done * outputs : nullptr);
    done += static_cast<size_t>(b->batch);
    // Running figures synchronise a GPU: read them only when the line is redrawn.
    if (progress && progress->task_due(static_cast<int64_t>(done), seconds_since(t0))) {
      accumulate(&total, backend.take_metrics());
      progress->task_update(static_cast<int64_t>(done), seconds_since(t0), figures(total));
    }
  }
  accumulate(&total, backend.take_metrics());
  if (progress) progress->end_task();
  return total;
}

Trainer::Trainer(Backend& backend, const data::Corpus& corpus, TrainOptions opts,
                 ProgressLine* progress, TrainEvents* events)
    : backend_(backend), corpus_(corpus), opts_(std::move(opts)), progress_(progress),
      events_(events) {
  validate_train_options(opts_, backend.options().model);
  SENTI_CHECK(opts_.batch_size <= backend.options().max_batch, "batch larger than the backend's");
}

TrainState Trainer::best_saved_state(int best_epoch) const {
  const std::string path = (std::filesystem::path(opts_.out_dir) / "best.safetensors").string();
  std::error_code ec;
  if (opts_.out_dir.empty() || !std::filesystem::exists(path, ec))
    SENTI_FAIL("--early-stopping: resuming needs the best epoch's weights, '", path,
               "', which is missing");
  Checkpoint best = load_checkpoint(path);
  if (best.epoch != best_epoch)
    SENTI_FAIL("--early-stopping: '", path, "' holds epoch ", best.epoch, " but the history's best ",
               opts_.monitor, " is epoch ", best_epoch, " (was --monitor changed?)");
  if (best.state.m.empty()) {
    best.state.m.assign(best.state.params.size(), 0.f);
    best.state.v.assign(best.state.params.size(), 0.f);
  }
  return best.state;
}

TrainResult Trainer::fit(Checkpoint ckpt) {
  const auto run_start = Clock::now();
  const data::SequenceOptions& seq = ckpt.sequence;
  SENTI_CHECK(seq.maxlen <= backend_.options().maxlen, "maxlen larger than the backend's");
  // Validation: the separate validation data when there is some (--validation-data: all of it,
  // and every training row trains), else the tail of the training rows (--validation-split).
  const bool separate_validation = corpus_.validation.size() > 0;
  TrainOptions split_opts = opts_;
  if (separate_validation) {
    split_opts.validation_split = 0;
    split_opts.early_stopping = 0;  // only the split's own rules are checked below
  }
  if (!corpus_.movie_ids && split_opts.validation_split_by == "movie") {
    progress_->message("validation split by review: this data has no movie ids (--validation-split-by movie "
                       "needs aclImdb)");
    split_opts.validation_split_by = "review";
  }
  SplitRows rows = split_rows(corpus_.train, split_opts);
  if (separate_validation) rows.validation = sample_rows(static_cast<int64_t>(corpus_.validation.size()), -1, 0);
  const data::Split& validation_data = separate_validation ? corpus_.validation : corpus_.train;
  auto slots = slots_for(backend_, opts_.batch_size, seq.maxlen);
  backend_.set_state(ckpt.state);
  // A masked model's outputs do not depend on the padding: batches are padded to their longest.
  const bool trim = backend_.options().model.mask;

  TrainResult result;
  result.history = ckpt.history;
  // The monitored quantity (best.safetensors, early stopping): the best value so far and the epochs
  // since it (Keras EarlyStopping's `wait`), also over a resumed run's history.
  const bool by_loss = opts_.monitor == "val_loss";
  const char* monitor = opts_.monitor.c_str();
  auto improves = [&](double value, bool have, double best) {
    return !have || (by_loss ? value < best : value > best);
  };
  bool have_best = false;
  double best_value = 0;
  int wait = 0;
  for (const auto& rec : ckpt.history) {
    if (!rec.contains(monitor)) continue;
    const double v = rec[monitor].get<double>();
    if (improves(v, have_best, best_value)) {
      have_best = true, best_value = v, wait = 0;
      result.best_epoch = rec.value("epoch", 0);
    } else {
      ++wait;
    }
  }
  const bool early = opts_.early_stopping > 0;
  TrainState best_state;  // early stopping restores it (Keras restore_best_weights=True)
  if (early && have_best) best_state = best_saved_state(result.best_epoch);
  bool stop = early && wait >= opts_.early_stopping;
  if (!opts_.out_dir.empty()) {
    std::filesystem::create_directories(opts_.out_dir);
    remove_stale_temp_files(opts_.out_dir);  // checkpoints half-written by killed runs
  }
  if (ckpt.epoch > 0 && !opts_.metrics_path.empty() &&
      rebuild_metrics_log(opts_.metrics_path, ckpt.history))
    std::fprintf(stderr, "senti: %s did not match the checkpoint's %lld epochs; rewrote it from the "
                 "checkpoint's history\n", opts_.metrics_path.c_str(), static_cast<long long>(ckpt.epoch));

  std::string metrics_error;  // the first metrics line that could not be written
  for (int epoch = static_cast<int>(ckpt.epoch) + 1; epoch <= opts_.epochs && !stop; ++epoch) {
    const auto epoch_start = Clock::now();
    std::vector<int64_t> order = epoch_order(rows.train, ckpt.seed, epoch);
    if (opts_.bucket) order = bucketed_order(order, corpus_.train, opts_.batch_size, ckpt.seed, epoch);
    stream::BatchStream batches(corpus_.train, std::move(order), opts_.batch_size, seq, &slots, trim);
    progress_->start_epoch(epoch, opts_.epochs, batches.num_batches());
    backend_.take_metrics();
    Metrics train, window;  // window: since the last StepEvent
    // Every metrics read goes to both the epoch's figures and the step log's window.
    auto drain = [&] {
      const Metrics m = backend_.take_metrics();
      accumulate(&train, m);
      accumulate(&window, m);
    };
    int64_t step = 0, samples = 0, window_samples = 0, real_tokens = 0, padded_tokens = 0;
    auto last_refresh = Clock::now(), window_start = Clock::now();
    const bool live = opts_.log_every > 0 || ProgressLine::is_terminal(stdout);
    const int64_t events_every = events_ ? events_->step_every() : 0;
    while (const Batch* b = batches.next()) {
      const int64_t global_step = ckpt.state.step + step;
      for (int i = 0; i < b->batch; ++i) real_tokens += b->lengths[i];
      padded_tokens += static_cast<int64_t>(b->batch) * b->maxlen;
      if (global_step == opts_.profile_first) backend_.profiler_range(true);
      backend_.train_step(*b);
      if (global_step == opts_.profile_last) backend_.profiler_range(false);
      ++step;
      samples += b->batch;
      window_samples += b->batch;
      if (events_every > 0 && (global_step + 1) % events_every == 0) {
        drain();  // synchronises a GPU: only every events_every steps
        StepEvent e;
        e.global_step = global_step + 1;
        e.epoch = epoch;
        e.window = window;
        const double s = seconds_since(window_start);
        e.samples_per_s = s > 0 ? window_samples / s : 0.0;
        e.has_gradients = backend_.last_gradient_stats(&e.gradients);
        events_->on_step(e);
        window = Metrics{};
        window_samples = 0;
        window_start = Clock::now();
      }
      // Reading metrics synchronises the GPU: only a few times a second, and only when shown.
      if (live && (seconds_since(last_refresh) >= 0.25 ||
                   (opts_.log_every > 0 && step % opts_.log_every == 0))) {
        drain();
        progress_->update(step, seconds_since(epoch_start), samples, train.loss(), train.accuracy());
        check_loss("training", train.loss(), opts_.max_loss, epoch, step, batches.num_batches(),
                   ckpt.epoch, opts_.out_dir);
        last_refresh = Clock::now();
      }
    }
    drain();
    const double train_seconds = seconds_since(epoch_start);

    Metrics val;
    double val_macro_f1 = 0;
    std::vector<std::vector<int64_t>> val_confusion;
    if (!rows.validation.empty()) {
      std::vector<float> probs;
      val = evaluate(backend_, validation_data, rows.validation, opts_.batch_size, seq, &slots, &probs);
      if (backend_.options().model.head == Head::MultiLabel) {  // per-label F1 at p > 0.5
        std::vector<std::vector<int32_t>> truth;
        for (int64_t r : rows.validation) truth.push_back(validation_data.label_set(static_cast<size_t>(r)));
        val_macro_f1 = multilabel_report(probs, truth, corpus_.classes, 0.5).macro_f1;
      } else {
        std::vector<int32_t> truth;
        truth.reserve(rows.validation.size());
        for (int64_t r : rows.validation) truth.push_back(validation_data.labels[static_cast<size_t>(r)]);
        const ClassReport report = class_report(
            truth, predicted_classes(probs, backend_.options().model.outputs()), corpus_.classes);
        val_macro_f1 = report.macro_f1;
        val_confusion = report.confusion;
      }
    }
    const double epoch_seconds = seconds_since(epoch_start);
    progress_->finish_epoch(train_seconds, samples, train.loss(), train.accuracy(),
                            val.count ? val.loss() : -1, val.accuracy());
    check_loss("training", train.loss(), opts_.max_loss, epoch, step, step, ckpt.epoch, opts_.out_dir);
    if (val.count)  // max_loss is about the training loss: an overfit model's validation loss may grow
      check_loss("validation", val.loss(), 0, epoch, step, step, ckpt.epoch, opts_.out_dir);
    char line[200];
    std::snprintf(line, sizeof line,
                  "tokens: %lld real of %lld padded (%.1f %%), %.0f real tokens/s",
                  static_cast<long long>(real_tokens), static_cast<long long>(padded_tokens),
                  padded_tokens ? 100.0 * real_tokens / padded_tokens : 0.0,
                  real_tokens / train_seconds);
    progress_->message(line);

    nlohmann::json rec = {{"epoch", epoch},
                          {"loss", train.loss()},
                          {"acc", train.accuracy()},
                          {"seconds", epoch_seconds},
                          {"train_seconds", train_seconds},
                          {"samples_per_s", samples / train_seconds},
                          {"real_tokens", real_tokens},
                          {"padded_tokens", padded_tokens},
                          {"real_tokens_per_s", real_tokens / train_seconds}};
    if (val.count) {
      rec["val_loss"] = val.loss();
      rec["val_acc"] = val.accuracy();
      rec["val_macro_f1"] = val_macro_f1;
    }
    result.history.push_back(rec);
    if (events_) {
      EpochEvent e;
      e.epoch = epoch;
      e.global_step = ckpt.state.step + step;
      e.train = train;
      e.validation = val;
      e.samples_per_s = samples / train_seconds;
      e.seconds = epoch_seconds;
      e.learning_rate = backend_.options().optimizer.adam.lr;
      e.val_macro_f1 = val_macro_f1;
      e.val_confusion = std::move(val_confusion);
      e.classes = corpus_.classes;
      events_->on_epoch(e);
    }

    const double value = by_loss ? val.loss() : opts_.monitor == "val_macro_f1" ? val_macro_f1 : val.accuracy();
    const bool improved = val.count && improves(value, have_best, best_value);
    if (improved) {
      have_best = true, best_value = value, wait = 0;
      result.best_epoch = epoch;
    } else if (val.count) {
      ++wait;
    }
    const bool save = !opts_.out_dir.empty();
    if (save || (early && improved)) {
      TrainState state = backend_.get_state();
      for (const auto* buf : {&state.params, &state.m, &state.v})
        for (size_t i = 0; i < buf->size(); ++i)
          if (!std::isfinite((*buf)[i]))
            diverged("the weights hold NaN or infinite values (a non-finite gradient)", epoch, step,
                     step, ckpt.epoch, opts_.out_dir);
      ckpt.state = std::move(state);
    } else {
      ckpt.state.step += step;
    }
    if (early && improved) best_state = ckpt.state;
    // The checkpoint is the commit point; the metrics line follows it (metrics_log.h).
    if (save) {
      SENTI_NVTX_RANGE("checkpoint");
      ckpt.epoch = epoch;
      ckpt.history = result.history;
      const std::filesystem::path dir(opts_.out_dir);
      save_checkpoint((dir / "latest.safetensors").string(), ckpt);
      if (improved) save_checkpoint((dir / "best.safetensors").string(), ckpt);
    } else {
      ckpt.epoch = epoch;
    }
    if (!opts_.metrics_path.empty()) {
      try {
        append_line(opts_.metrics_path, rec.dump());
      } catch (const UsageError& e) {
        // The epoch is safe in the checkpoint: keep training, fail at the end (exit != 0).
        if (opts_.out_dir.empty()) throw;  // no checkpoint holds the record
        if (metrics_error.empty()) metrics_error = e.what();
        std::fprintf(stderr, "senti: warning: %s; epoch %d is saved in the checkpoint's history\n",
                     e.what(), epoch);
      }
    }
    if (early && wait >= opts_.early_stopping) {
      stop = true;
      result.stopped_early = epoch < opts_.epochs;
    }
  }
  if (early && have_best) {
    backend_.set_state(best_state);
    result.restored_best = true;
    char line[200];
    std::snprintf(line, sizeof line, "early stopping: %sbest %s %.4f at epoch %d; restored its weights",
                  result.stopped_early ? "stopped; " : "", monitor, best_value, result.best_epoch);
    progress_->message(line);
    if (!opts_.metrics_path.empty())
      append_line(opts_.metrics_path, nlohmann::json{{"early_stopping",
                                                      {{"best_epoch", result.best_epoch},
                                                       {"monitor", monitor},
                                                       {"best", best_value},
                                                       {"stopped_early", result.stopped_early}}}}
                                          .dump());
  }

  if (opts_.test_limit != 0 && corpus_.test.size() == 0) {
    progress_->message("test: none (the data has no test split: give --test-data or --test-split > 0)");
  } else if (opts_.test_limit != 0) {
    const int64_t n = static_cast<int64_t>(corpus_.test.size());
    const std::vector<int64_t> test_rows = sample_rows(n, opts_.test_limit, opts_.seed);
    const auto t0 = Clock::now();
    result.test = evaluate(backend_, corpus_.test, test_rows, opts_.batch_size, seq, &slots);
    char line[160];
    std::snprintf(line, sizeof line, "test: %lld reviews - loss: %.4f - acc: %.4f - %.1fs",
                  static_cast<long long>(result.test.count), result.test.loss(),
                  result.test.accuracy(), seconds_since(t0));
    progress_->message(line);
    if (events_) events_->on_test(result.test, opts_.epochs, ckpt.state.step);
    if (!opts_.metrics_path.empty())
      append_line(opts_.metrics_path, nlohmann::json{{"test_loss", result.test.loss()},
                                                      {"test_acc", result.test.accuracy()},
                                                      {"test_samples", result.test.count}}
                                          .dump());
  }
  if (!metrics_error.empty())
    SENTI_FAIL(metrics_error, "; the checkpoints are complete and hold every epoch's record (senti "
               "inspect shows them); the next --resume rewrites ", opts_.metrics_path, " from them");
  result.seconds = seconds_since(run_start);
  return result;
}

}  // namespace senti

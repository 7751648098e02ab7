#include "host/run/trainer.h"
#include "host/run/class_report.h"
#include "host/run/multilabel_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/atomic_file.h"
#include "kernels/common/error.h"
#include "kernels/common/nvtx.h"
#include "host/run/data_parallel.h"
#include "host/run/metrics_log.h"

namespace senti {
namespace {

using Clock = std::chrono::steady_clock;

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

Trainer::Trainer(Backend& backend, const data::Corpus& corpus, TrainOptions opts,
                 ProgressLine* progress, TrainEvents* events)
    : backend_(backend), corpus_(corpus), opts_(std::move(opts)), progress_(progress),
      events_(events) {
  validate_train_options(opts_, backend.options().model);
  SENTI_CHECK(opts_.batch_size <= backend.options().max_batch, "batch larger than the backend's");
  const Collective* world = backend.options().collective.get();
  if (world && opts_.batch_size < world->size())
    SENTI_FAIL_SETTING("batch_size", "is the global batch, split across the ", world->size(),
                       " processes: it must be at least that many rows, got ", opts_.batch_size);
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
  // Data-parallel (docs/distributed.md): rank r of N trains its share of every global batch; rank 0
  // alone writes files. One process: rank 0 of 1, every collective a no-op.
  const std::shared_ptr<Collective> world =
      backend_.options().collective ? backend_.options().collective : single_process();
  const int rank = world->rank(), ranks = world->size();
  const bool writer = rank == 0;
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
  const std::string grouping = movie_grouping(corpus_.train, corpus_.movie_ids);
  if (grouping.empty() && split_opts.validation_split_by == "movie") {
    progress_->message("validation split by review: this data has no movie ids (--validation-split-by movie "
                       "needs aclImdb)");
    split_opts.validation_split_by = "review";
  }
  SplitRows rows = split_rows(corpus_.train, split_opts);
  if (split_opts.validation_split_by == "movie" && !separate_validation) {
    if (grouping == kMoviesFromUrls) {
      std::vector<int32_t> held;
      for (const int64_t r : rows.validation) held.push_back(corpus_.train.movies[static_cast<size_t>(r)]);
      std::sort(held.begin(), held.end());
      const size_t movies = static_cast<size_t>(std::unique(held.begin(), held.end()) - held.begin());
      progress_->message("validation split by movie: real movies from the urls files (" + std::to_string(movies) +
                         " movies, " + std::to_string(rows.validation.size()) + " reviews held out)");
    } else {
      progress_->message("validation split by movie: id blocks (no urls files; an approximation)");
    }
    // Recorded with the run's settings (checkpoints, inspect, diff): which movies it held out.
    ckpt.train_config["validation_movies"] = grouping;
  }
  if (separate_validation) rows.validation = sample_rows(static_cast<int64_t>(corpus_.validation.size()), -1, 0);
  const data::Split& validation_data = separate_validation ? corpus_.validation : corpus_.train;
  auto slots = slots_for(backend_, opts_.batch_size, seq.maxlen);
  backend_.set_state(ckpt.state);
  check_replicas_agree(*world, ckpt.state, "at the start (every rank must read the same checkpoint)");
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
  if (writer && !opts_.out_dir.empty()) {
    std::filesystem::create_directories(opts_.out_dir);
    remove_stale_temp_files(opts_.out_dir);  // checkpoints half-written by killed runs
  }
  if (writer && ckpt.epoch > 0 && !opts_.metrics_path.empty() &&
      rebuild_metrics_log(opts_.metrics_path, ckpt.history))
    std::fprintf(stderr, "senti: %s did not match the checkpoint's %lld epochs; rewrote it from the "
                 "checkpoint's history\n", opts_.metrics_path.c_str(), static_cast<long long>(ckpt.epoch));

  std::string metrics_error;  // the first metrics line that could not be written
  for (int epoch = static_cast<int>(ckpt.epoch) + 1; epoch <= opts_.epochs && !stop; ++epoch) {
    const auto epoch_start = Clock::now();
    std::vector<int64_t> order = epoch_order(rows.train, ckpt.seed, epoch);
    if (opts_.bucket) order = bucketed_order(order, corpus_.train, opts_.batch_size, ckpt.seed, epoch);
    // The global batches are cut from the one epoch order every rank computes; this rank streams
    // only its shares, in batches of its share of a full batch (data_parallel.h).
    const int64_t global_rows = static_cast<int64_t>(order.size());
    const int64_t global_batches = (global_rows + opts_.batch_size - 1) / opts_.batch_size;
    const int share_rows = batch_share(opts_.batch_size, rank, ranks).size();
    if (ranks > 1) order = rank_rows(order, opts_.batch_size, rank, ranks);
    stream::BatchStream batches(corpus_.train, std::move(order), share_rows, seq, &slots, trim);
    progress_->start_epoch(epoch, opts_.epochs, global_batches);
    const Collective::Traffic traffic_start = world->traffic();
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
    for (int64_t k = 0; k < global_batches; ++k) {
      const int64_t global_step = ckpt.state.step + step;
      const int rows_k = static_cast<int>(std::min<int64_t>(opts_.batch_size, global_rows - k * opts_.batch_size));
      // Null only for a rank whose share of a short last batch is empty: it still takes the step.
      const Batch* next = batches.next();
      Batch b;
      if (next) {
        b = *next;
      } else {  // no rows: valid pointers into a slot the stream no longer fills, T of the run
        b.ids = slots[0].ids;
        b.labels = slots[0].labels;
        b.lengths = slots[0].lengths;
        b.maxlen = seq.maxlen;
      }
      if (ranks > 1) {
        const Share share = batch_share(rows_k, rank, ranks);
        if (!next) b.batch = 0;
        SENTI_CHECK(b.batch == share.size(), "rank ", rank, " streamed ", b.batch,
                    " rows for its share of ", share.size(), " in batch ", k);
        b.row_offset = share.begin;
        b.global_batch = rows_k;
      } else {
        SENTI_CHECK(next != nullptr, "the batch stream ended before batch ", k);
      }
      for (int i = 0; i < b.batch; ++i) real_tokens += b.lengths[i];
      padded_tokens += static_cast<int64_t>(b.batch) * b.maxlen;
      if (global_step == opts_.profile_first) backend_.profiler_range(true);
      backend_.train_step(b);
      if (global_step == opts_.profile_last) backend_.profiler_range(false);
      ++step;
      samples += rows_k;
      window_samples += rows_k;
      if (events_every > 0 && (global_step + 1) % events_every == 0) {
        drain();  // synchronises a GPU: only every events_every steps
        StepEvent e;
        e.global_step = global_step + 1;
        e.epoch = epoch;
        e.window = window;
        e.language_model = backend_.options().model.language_model();
        const double s = seconds_since(window_start);
        e.samples_per_s = s > 0 ? window_samples / s : 0.0;
        e.has_gradients = backend_.last_gradient_stats(&e.gradients);
        events_->on_step(e);
        window = Metrics{};
        window_samples = 0;
        window_start = Clock::now();
      }
      // Reading metrics synchronises the GPU: only a few times a second, and only when shown.
      // With several ranks the running figures are this rank's share's (summed at the epoch's end).
      if (live && (seconds_since(last_refresh) >= 0.25 ||
                   (opts_.log_every > 0 && step % opts_.log_every == 0))) {
        drain();
        progress_->update(step, seconds_since(epoch_start), samples, train.loss(), train.accuracy());
        check_loss("training", train.loss(), opts_.max_loss, epoch, step, global_batches,
                   ckpt.epoch, opts_.out_dir);
        last_refresh = Clock::now();
      }
    }
    drain();
    sum_over_ranks(*world, &train);  // a fixed point of the loop on every rank
    {
      int64_t tokens[2] = {real_tokens, padded_tokens};
      sum_over_ranks(*world, tokens, 2);
      real_tokens = tokens[0], padded_tokens = tokens[1];
    }
    const double train_seconds = seconds_since(epoch_start);
    // Rank 0's time inside the gradient allreduces (waiting for the others included) and their
    // payload this epoch; the epoch's summing of figures is a few bytes and counted too.
    const Collective::Traffic traffic_end = world->traffic();
    const double allreduce_seconds = traffic_end.seconds - traffic_start.seconds;
    const double allreduce_bytes = traffic_end.bytes - traffic_start.bytes;

    Metrics val;
    double val_macro_f1 = 0;
    std::vector<std::vector<int64_t>> val_confusion;
    const bool language_model = backend_.options().model.language_model();
    if (!rows.validation.empty() && language_model) {  // per-token figures, no classes
      val = evaluate(backend_, validation_data, rows.validation, opts_.batch_size, seq, &slots);
    } else if (!rows.validation.empty()) {
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
    if (ranks > 1) {
      std::snprintf(line, sizeof line,
                    "allreduce: %.2f s of %.2f s training (%.1f %%), %.1f MB summed, %d ranks",
                    allreduce_seconds, train_seconds, 100.0 * allreduce_seconds / train_seconds,
                    allreduce_bytes / 1e6, ranks);
      progress_->message(line);
    }

    nlohmann::json rec = {{"epoch", epoch},
                          {"loss", train.loss()},
                          {"acc", train.accuracy()},
                          {"seconds", epoch_seconds},
                          {"train_seconds", train_seconds},
                          {"samples_per_s", samples / train_seconds},
                          {"real_tokens", real_tokens},
                          {"padded_tokens", padded_tokens},
                          {"real_tokens_per_s", real_tokens / train_seconds}};
    if (ranks > 1) {
      rec["ranks"] = ranks;
      rec["allreduce_seconds"] = allreduce_seconds;
    }
    if (language_model) {  // per predicted token: training's over the sampled softmax
      rec["tokens"] = train.count;
      rec["perplexity"] = std::exp(train.loss());
    }
    if (val.count) {
      rec["val_loss"] = val.loss();
      rec["val_acc"] = val.accuracy();
      if (language_model)
        rec["val_perplexity"] = std::exp(val.loss());  // the full softmax: the exact perplexity
      else
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
      e.language_model = language_model;
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
    if (save || (early && improved) || ranks > 1) {
      TrainState state = backend_.get_state();
      for (const auto* buf : {&state.params, &state.m, &state.v})
        for (size_t i = 0; i < buf->size(); ++i)
          if (!std::isfinite((*buf)[i]))
            diverged("the weights hold NaN or infinite values (a non-finite gradient)", epoch, step,
                     step, ckpt.epoch, opts_.out_dir);
      ckpt.state = std::move(state);
      check_replicas_agree(*world, ckpt.state, ("after epoch " + std::to_string(epoch)).c_str());
    } else {
      ckpt.state.step += step;
    }
    if (early && improved) best_state = ckpt.state;
    // The checkpoint is the commit point; the metrics line follows it (metrics_log.h).
    ckpt.epoch = epoch;
    if (save) {
      ckpt.history = result.history;
      if (writer) {
        SENTI_NVTX_RANGE("checkpoint");
        const std::filesystem::path dir(opts_.out_dir);
        save_checkpoint((dir / "latest.safetensors").string(), ckpt);
        if (improved) save_checkpoint((dir / "best.safetensors").string(), ckpt);
      }
      // No rank starts the next epoch before the checkpoint is committed: a job that ends now
      // (a rank killed, an error) leaves it loadable, and every rank resumes from it.
      world->barrier();
    }
    if (writer && !opts_.metrics_path.empty()) {
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
    if (writer && !opts_.metrics_path.empty())
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
    if (writer && !opts_.metrics_path.empty())
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

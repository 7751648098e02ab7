// `senti bench`: times training steps of one configuration on cpu or cuda (engine/bench.h says
// how), on synthetic ids or the real IMDB, and prints ms/step, samples/s, tokens/s and, on CUDA,
// the split of a step. benchmarks/run_all.py runs it beside the PyTorch and Keras baselines.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/bench.h"
#include "engine/collective/collective.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/cpu/peak.h"
#include "engine/cpu/small_gemm.h"
#include "kernels/common/error.h"
#include "engine/init.h"
#include "host/cli/commands.h"
#include "host/cli/data_flags.h"
#include "host/cli/device_flags.h"
#include "host/cli/flag_names.h"

namespace senti::cli {
namespace {

struct BenchFlags {
  std::string preset = "seed";
  std::string device = "auto";
  std::string lstm = "auto";
  std::string cuda_graph = "on";
  int batch = 32;
  int embed = 128;
  int hidden = 64;
  int vocab = 10000;
  int threads = 0;
  bool synthetic = false;
  bool nondeterministic = false;  // training runs deterministic (the BackendOptions default)
  bool json = false;
  bool peak = false;  // CPU only: measure the machine's peak and the step's share of it
  bool allreduce = false;  // under a launcher: time the gradient allreduce alone
  uint64_t seed = 1234;
  BenchOptions bench;
  DataFlags data;  // --data and friends, --maxlen, --num-words
};

// Presets fill every shape flag the user did not give: seed = B32 T500 E128 H64 V10000 (the
// recipe), b256 = the same with B256.
void apply_preset(CLI::App* cmd, BenchFlags* f) {
  auto unset = [&](const char* flag) { return cmd->count(flag) == 0; };
  if (f->preset != "seed" && f->preset != "b256")
    SENTI_FAIL("--preset: unknown preset '", f->preset, "' (expected seed or b256)");
  if (unset("--batch")) f->batch = f->preset == "b256" ? 256 : 32;
  if (unset("--maxlen")) f->data.maxlen = 500;
  if (unset("--embed")) f->embed = 128;
  if (unset("--hidden")) f->hidden = 64;
}

void validate(CLI::App* cmd, const BenchFlags& f, bool real_data) {
  if (f.batch < 1) SENTI_FAIL("--batch must be >= 1, got ", f.batch);
  (void)sequence_options(f.data);
  if (f.vocab < 4) SENTI_FAIL("--vocab must be >= 4 (ids 0..2 are reserved), got ", f.vocab);
  try {  // the model's rules are the engine's; only the flag name of V differs here
    validate_model_config({real_data ? f.data.num_words : f.vocab, f.embed, f.hidden});
  } catch (const InvalidSetting& e) {
    if (e.setting() == "vocab_size" && !real_data) SENTI_FAIL("--vocab ", e.problem());
    throw;
  }
  if (f.bench.steps < 1) SENTI_FAIL("--steps must be >= 1, got ", f.bench.steps);
  if (f.bench.warmup < 0) SENTI_FAIL("--warmup must be >= 0, got ", f.bench.warmup);
  if (f.bench.split_steps < 0) SENTI_FAIL("--split-steps must be >= 0, got ", f.bench.split_steps);
  (void)parse_cuda_graph(f.cuda_graph);
  // Checked here, not left to the backend: its message names SENTI_CPU_THREADS, which the user
  // did not set.
  if (f.threads < 0 || f.threads > kMaxCpuThreads)
    SENTI_FAIL("--threads must be in 0..", kMaxCpuThreads, " (0 = the default), got ",
               f.threads);
  if (real_data && f.synthetic) SENTI_FAIL("--synthetic and --data exclude each other");
  if (real_data && cmd->count("--vocab"))
    SENTI_FAIL("--vocab sets the id range of synthetic data; with --data use --num-words");
}

// A pool of distinct batches that run_bench cycles through: enough that the CPU does not run
// entirely from cache, small enough to stay cheap to build.
int pool_size(const BenchFlags& f) {
  return std::min(16, f.bench.warmup + f.bench.steps + f.bench.split_steps);
}

// Real batches: rows of the training split in a fixed-seed shuffle, padded as training pads them.
std::string fill_real(const BenchFlags& f, BenchBatches* pool, int* vocab) {
  const data::Corpus corpus = load_corpus(f.data, /*verbose=*/!f.json);
  const data::Split& train = corpus.train;
  const int64_t need = static_cast<int64_t>(pool->count()) * f.batch;
  if (static_cast<int64_t>(train.size()) < f.batch)
    SENTI_FAIL("--batch ", f.batch, " is larger than the training split (", train.size(), " reviews)");
  std::vector<int64_t> rows(train.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::shuffle(rows.begin(), rows.end(), std::mt19937_64(f.seed));  // order only, not portability-critical
  std::vector<int64_t> picked(need);
  for (int64_t i = 0; i < need; ++i) picked[i] = rows[i % rows.size()];
  const data::SequenceOptions seq = sequence_options(f.data);
  for (int k = 0; k < pool->count(); ++k)
    data::gather_batch(train, picked.data() + static_cast<size_t>(k) * f.batch, f.batch, seq,
                       pool->ids(k), pool->labels(k), pool->lengths(k));
  *vocab = corpus.vocab.num_words;
  return "imdb";
}

nlohmann::json to_json(const BenchFlags& f, const ModelConfig& model, const Backend& backend,
                       const std::string& device, const std::string& data_name, const BenchResult& r) {
  nlohmann::json j = {
      {"framework", "senti"},         {"variant", "padded"},
      {"device", device},             {"device_desc", backend.describe()},
      {"lstm", f.lstm},               {"cuda_graph", f.cuda_graph},
      {"batch", r.batch},             {"maxlen", r.maxlen},
      {"embed", model.embed_dim},     {"hidden", model.hidden},
      {"vocab", model.vocab_size},    {"data", data_name},
      {"warmup", r.warmup},           {"steps", r.steps},
      {"threads", f.threads},         {"deterministic", !f.nondeterministic},
      {"ms_per_step", r.ms_per_step}, {"median_ms", r.median_ms},
      {"cpu_ms_per_step", r.cpu_ms_per_step},
      {"samples_per_s", r.samples_per_s}, {"tokens_per_s", r.tokens_per_s},
      {"total_s", r.total_s},         {"loss", r.loss},
      {"split", nullptr}};
  if (r.has_split)
    j["split"] = {{"steps", r.split_steps},
                  {"copy_ms", r.split.copy_ms},
                  {"forward_ms", r.split.forward_ms},
                  {"backward_ms", r.split.backward_ms},
                  {"optimizer_ms", r.split.optimizer_ms}};
  return j;
}

void print_human(const nlohmann::json& j, const BenchResult& r) {
  std::printf("senti bench: %s, B %d T %d E %d H %d V %d, %s data\n",
              j["device_desc"].get<std::string>().c_str(), r.batch, r.maxlen, j["embed"].get<int>(),
              j["hidden"].get<int>(), j["vocab"].get<int>(), j["data"].get<std::string>().c_str());
  std::printf("  %d timed steps after %d warm-up: %.3f ms/step (median %.3f, CPU time %.3f), "
              "%.1f samples/s, %.0f tokens/s, loss %.4f\n",
              r.steps, r.warmup, r.ms_per_step, r.median_ms, r.cpu_ms_per_step, r.samples_per_s,
              r.tokens_per_s, r.loss);
  if (r.has_split) {
    const auto& s = r.split;
    std::printf("  split over %d steps (CUDA events, ms): copy %.3f, forward %.3f, backward %.3f, "
                "clip + Adam %.3f\n",
                r.split_steps, s.copy_ms, s.forward_ms, s.backward_ms, s.optimizer_ms);
  }
}

// --peak: the FMA peak of every thread at once, the GEMM shapes' rates through both libraries,
// and the step's model FLOP rate as a share of that peak (docs/performance.md, "Roofline").
nlohmann::json measure_peak(const BenchFlags& f, const BenchResult& r, int threads) {
  const cpu::FmaPeak fma = cpu::measure_fma_peak(threads);
  const double flops = cpu::lstm_step_model_flops(r.batch, r.maxlen, f.embed, f.hidden, 1);
  const double rate = flops / (r.ms_per_step * 1e-3) / 1e9;
  nlohmann::json gemms = nlohmann::json::array();
  for (const cpu::GemmRate& g : cpu::measure_gemm_rates(r.batch, f.embed, f.hidden))
    gemms.push_back({{"shape", g.shape},
                     {"openblas_gflops", g.openblas_gflops},
                     {"libxsmm_gflops", g.libxsmm_gflops}});
  return {{"isa", fma.isa},
          {"threads", threads},
          {"fma_gflops_per_thread", fma.gflops_per_thread},
          {"fma_gflops_all_threads", fma.gflops_all},
          {"gemm_library", cpu::gemm_description()},
          {"openblas", cpu::openblas_description()},
          {"gemms_one_thread", gemms},
          {"step_model_gflop", flops / 1e9},
          {"step_gflops", rate},
          {"step_share_of_peak", rate / fma.gflops_all}};
}

void print_peak(const nlohmann::json& p) {
  std::printf("  peak (%s FMA loop): %.1f GFLOP/s one thread, %.1f GFLOP/s on %d threads\n",
              p["isa"].get<std::string>().c_str(), p["fma_gflops_per_thread"].get<double>(),
              p["fma_gflops_all_threads"].get<double>(), p["threads"].get<int>());
  std::printf("  GEMMs, one thread, GFLOP/s (%s runs the training GEMMs; %s):\n",
              p["gemm_library"].get<std::string>().c_str(),
              p["openblas"].get<std::string>().c_str());
  for (const auto& g : p["gemms_one_thread"])
    std::printf("    %-36s OpenBLAS %6.1f   libxsmm %6.1f\n",
                g["shape"].get<std::string>().c_str(), g["openblas_gflops"].get<double>(),
                g["libxsmm_gflops"].get<double>());
  std::printf("  step: %.2f model GFLOP (6·B·T·(E+H)·4H) at %.1f GFLOP/s = %.0f %% of the peak\n",
              p["step_model_gflop"].get<double>(), p["step_gflops"].get<double>(),
              100 * p["step_share_of_peak"].get<double>());
}

// `mpirun -np N senti bench --allreduce`: the data-parallel step's communication alone — the sum
// over the job's processes of one flat gradient of the configured model (ParamLayout, as train's
// backends sum it), --warmup untimed then --steps timed. Rank 0 prints the median and minimum time
// and the bus bandwidth as NCCL's tests define it (2 (N-1) / N x bytes / time: what each link
// carries in a ring). docs/distributed.md, "Cost model".
void run_allreduce_bench(const BenchFlags& f) {
  const std::shared_ptr<Collective> world = world_collective();
  if (!world->distributed())
    SENTI_FAIL("--allreduce times the sum over a job's processes: start it with a launcher, e.g. "
               "mpirun -np 2 senti bench --allreduce");
  ModelConfig model;
  model.embed_dim = f.embed;
  model.hidden = f.hidden;
  model.vocab_size = f.vocab;
  validate_model_config(model);
  std::vector<float> grads(ParamLayout(model).total(), 1.f);
  std::vector<double> ms;
  for (int i = 0; i < f.bench.warmup + f.bench.steps; ++i) {
    world->barrier();  // every rank starts together: the time is the sum's, not a straggler's
    const auto t0 = std::chrono::steady_clock::now();
    world->allreduce_sum(grads.data(), grads.size());
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= f.bench.warmup) ms.push_back(t);
  }
  // The slowest rank's time is the step's: take each step's maximum over the ranks.
  std::vector<double> worst(ms.size(), 0.0);
  for (int r = 0; r < world->size(); ++r) {
    std::vector<double> theirs = ms;
    world->broadcast(theirs.data(), theirs.size() * sizeof(double), r);
    for (size_t i = 0; i < worst.size(); ++i) worst[i] = std::max(worst[i], theirs[i]);
  }
  std::vector<double> sorted = worst;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2], best = sorted.front();
  const double bytes = static_cast<double>(grads.size()) * sizeof(float);
  const int n = world->size();
  const double bus_gbps = 2.0 * (n - 1) / n * bytes / (median * 1e-3) / 1e9;
  if (world->rank() != 0) return;
  if (f.json) {
    std::printf("%s\n", nlohmann::json{{"allreduce", true}, {"ranks", n}, {"collective", world->describe()},
                                       {"floats", grads.size()}, {"bytes", bytes},
                                       {"steps", f.bench.steps}, {"median_ms", median},
                                       {"min_ms", best}, {"bus_gb_per_s", bus_gbps}}
                              .dump()
                              .c_str());
    return;
  }
  std::printf("allreduce of %zu floats (%.1f MB, the gradient of E%d H%d V%d) over %s: median "
              "%.3f ms, min %.3f ms over %d steps; bus bandwidth %.2f GB/s\n",
              grads.size(), bytes / 1e6, f.embed, f.hidden, f.vocab, world->describe().c_str(),
              median, best, f.bench.steps, bus_gbps);
}

void run_bench_command(CLI::App* cmd, BenchFlags f) {
  apply_preset(cmd, &f);
  if (f.allreduce) return run_allreduce_bench(f);
  const bool real_data = cmd->count("--data") > 0;
  validate(cmd, f, real_data);
  // The CPU backend reads its thread count from the environment when it is created.
  if (f.threads > 0) setenv("SENTI_CPU_THREADS", std::to_string(f.threads).c_str(), 1);

  // With --data the vocabulary size is --num-words (checked against the corpus once it is loaded,
  // after the backend exists: the batch pool lives in the backend's pinned host memory).
  BackendOptions opts;
  opts.model.embed_dim = f.embed;
  opts.model.hidden = f.hidden;
  opts.model.vocab_size = real_data ? f.data.num_words : f.vocab;
  opts.max_batch = f.batch;
  opts.maxlen = f.data.maxlen;
  opts.deterministic = !f.nondeterministic;
  opts.lstm = parse_lstm_kind(f.lstm);
  opts.cuda_graph = parse_cuda_graph(f.cuda_graph);
  std::unique_ptr<Backend> backend = open_backend(f.device, opts, f.json ? nullptr : stderr);
  const std::string device = backend->describe().rfind("cuda", 0) == 0 ? "cuda" : "cpu";
  SENTI_CHECK(!f.peak || device == "cpu", "--peak measures the CPU: use it with --device cpu");

  BenchBatches pool(*backend, pool_size(f), f.batch, f.data.maxlen);
  std::string data_name = "synthetic";
  if (real_data) {
    int vocab = 0;
    data_name = fill_real(f, &pool, &vocab);
    SENTI_CHECK(vocab == opts.model.vocab_size, "corpus vocabulary ", vocab, " != --num-words ",
                opts.model.vocab_size);
  } else {
    fill_synthetic(&pool, f.vocab, f.seed);
  }
  backend->set_state(init_train_state(opts.model, f.seed));

  const BenchResult r = run_bench(*backend, pool, f.bench);
  nlohmann::json j = to_json(f, opts.model, *backend, device, data_name, r);
  if (f.peak) j["peak"] = measure_peak(f, r, cpu_backend_threads());
  if (f.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    print_human(j, r);
    if (f.peak) print_peak(j["peak"]);
  }
}

}  // namespace

void register_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "bench", "Time training steps (warm-up excluded) of one configuration: ms/step, samples/s, "
               "tokens/s and, on CUDA, the split of a step");
  auto f = std::make_shared<BenchFlags>();
  cmd->add_option("--preset", f->preset,
                  "Shape defaults: seed (B32 T500 E128 H64) or b256 (the same with B256); "
                  "explicit flags override")
      ->capture_default_str();
  add_device_flag(cmd, &f->device);
  add_lstm_flag(cmd, &f->lstm);
  add_cuda_graph_flag(cmd, &f->cuda_graph);
  add_integer_option(cmd, "--batch", f->batch, "B: samples per step");
  add_integer_option(cmd, "--embed", f->embed, "E: embedding width");
  add_integer_option(cmd, "--hidden", f->hidden, "H: LSTM units");
  add_integer_option(cmd, "--vocab", f->vocab,
                     "V: id range of --synthetic data (with --data: --num-words)")
      ->capture_default_str();
  add_integer_option(cmd, "--steps", f->bench.steps, "Timed training steps")->capture_default_str();
  add_integer_option(cmd, "--warmup", f->bench.warmup,
                     "Untimed steps before timing")->capture_default_str();
  add_integer_option(cmd, "--split-steps", f->bench.split_steps,
                     "Extra steps timed with CUDA events for the forward/backward/optimizer/copy "
                     "split (0 = skip; ignored on the CPU)")
      ->capture_default_str();
  add_integer_option(cmd, "--threads", f->threads,
                     "CPU threads, 0..1024 (sets SENTI_CPU_THREADS; 0 = $SENTI_CPU_THREADS if set, "
                     "else one per hardware thread)");
  add_integer_option(cmd, "--seed", f->seed, "Seed of the initial weights and of synthetic data")
      ->capture_default_str();
  cmd->add_flag("--synthetic", f->synthetic,
                "Random ids of the configured shape (the default unless --data is given)");
  cmd->add_flag("--nondeterministic", f->nondeterministic,
                "Let the backend use non-deterministic kernels (training runs deterministic)");
  cmd->add_flag("--json", f->json, "Print one JSON object instead of text");
  cmd->add_flag("--peak", f->peak,
                "CPU only: also measure the machine's FMA peak (all threads), the GEMM shapes' "
                "rates through OpenBLAS and libxsmm, and the step's model FLOP rate as a share of "
                "that peak (docs/performance.md, \"Roofline\")");
  cmd->add_flag("--allreduce", f->allreduce,
                "Under a launcher (mpirun -np N senti bench --allreduce): time only the sum of the "
                "model's flat gradient over the processes, as data-parallel training does each "
                "step (docs/distributed.md)");
  add_data_flags(cmd, &f->data);
  cmd->callback([cmd, f] { run_bench_command(cmd, *f); });
}

}  // namespace senti::cli

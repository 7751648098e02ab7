// `senti bench` as a user runs it: the JSON record's fields and their consistency, the text
// output, presets, and clear errors for bad flags. Functional only: no speed is asserted here
// (figures live in docs/benchmarks.md).
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/backend.h"
#include "engine/bench.h"
#include "test_env.h"

namespace senti {
namespace {

std::string bench(const std::string& args) { return test::senti_bin() + " bench " + args; }

// The JSON record is the last line of the output (anything before it is diagnostics).
nlohmann::json last_line_json(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t nl = s.rfind('\n');
  return nlohmann::json::parse(nl == std::string::npos ? s : s.substr(nl + 1));
}

TEST(BenchCli, JsonRecordHasEveryFieldAndConsistentRates) {
  std::string out;
  const int rc = test::run_command(
      bench("--device cpu --steps 2 --warmup 1 --batch 4 --maxlen 20 --synthetic --json"), &out);
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = last_line_json(out);
  EXPECT_EQ(j["framework"], "senti");
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["data"], "synthetic");
  EXPECT_EQ(j["batch"], 4);
  EXPECT_EQ(j["maxlen"], 20);
  EXPECT_EQ(j["embed"], 128);
  EXPECT_EQ(j["hidden"], 64);
  EXPECT_EQ(j["vocab"], 10000);
  EXPECT_EQ(j["steps"], 2);
  EXPECT_EQ(j["warmup"], 1);
  EXPECT_TRUE(j["split"].is_null()) << "the CPU backend has no event split";
  EXPECT_EQ(j["cuda_graph"], "on") << "the default, echoed (ignored on the CPU)";
  const double ms = j["ms_per_step"];
  ASSERT_GT(ms, 0.0);
  EXPECT_GT(j["median_ms"].get<double>(), 0.0);
  EXPECT_NEAR(j["samples_per_s"].get<double>(), 4 * 1e3 / ms, 1e-6 * 4e3 / ms);
  EXPECT_NEAR(j["tokens_per_s"].get<double>(), 4 * 20 * 1e3 / ms, 1e-6 * 8e4 / ms);
  EXPECT_NEAR(j["total_s"].get<double>(), 2 * ms / 1e3, 1e-9 + 1e-6 * ms);
  // Random labels: the loss of an untrained model sits near ln 2.
  const double loss = j["loss"];
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, std::log(2.0), 0.3);
  EXPECT_NE(j["device_desc"].get<std::string>().find("cpu"), std::string::npos);
}

TEST(BenchCli, TextOutputAndPresetB256) {
  std::string out;
  ASSERT_EQ(test::run_command(bench("--device cpu --preset b256 --maxlen 6 --hidden 8 --embed 8 "
                                    "--steps 1 --warmup 0"),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("B 256 T 6 E 8 H 8"), std::string::npos) << out;
  EXPECT_NE(out.find("ms/step"), std::string::npos) << out;
  EXPECT_NE(out.find("samples/s"), std::string::npos) << out;
}

// --peak adds the machine's measured FMA peak, the GEMM shapes' rates through both libraries and
// the step's share of the peak (figures vary by machine; only their presence and sanity here).
TEST(BenchCli, PeakReportsFmaPeakGemmRatesAndTheStepsShare) {
  std::string out;
  ASSERT_EQ(test::run_command(bench("--device cpu --steps 2 --warmup 1 --batch 4 --maxlen 20 "
                                    "--hidden 8 --embed 8 --threads 1 --peak --json"),
                              &out),
            0)
      << out;
  const nlohmann::json j = last_line_json(out);
  ASSERT_TRUE(j.contains("peak")) << out;
  const nlohmann::json& p = j["peak"];
  EXPECT_GT(p["fma_gflops_per_thread"].get<double>(), 0.1);
  EXPECT_EQ(p["threads"].get<int>(), 1);
  EXPECT_NE(std::string("avx512f avx2+fma scalar").find(p["isa"].get<std::string>()),
            std::string::npos);
  ASSERT_EQ(p["gemms_one_thread"].size(), 5u);
  for (const auto& g : p["gemms_one_thread"]) EXPECT_GT(g["openblas_gflops"].get<double>(), 0);
  // 6·B·T·(E+H)·4H model FLOPs of a step: 6 · 4 · 20 · 16 · 32.
  EXPECT_NEAR(p["step_model_gflop"].get<double>(), 6.0 * 4 * 20 * 16 * 32 / 1e9, 1e-12);
  const double share = p["step_share_of_peak"].get<double>();
  EXPECT_GT(share, 0);
  EXPECT_NEAR(share * p["fma_gflops_all_threads"].get<double>(), p["step_gflops"].get<double>(),
              1e-9 * p["step_gflops"].get<double>());
  ASSERT_EQ(test::run_command(bench("--device cpu --steps 1 --warmup 0 --batch 2 --maxlen 4 "
                                    "--hidden 4 --embed 4 --threads 1 --peak"),
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("% of the peak"), std::string::npos) << out;
}

TEST(BenchCli, BadValuesNameTheFlagAndExitNonZero) {
  const std::string ok = "--maxlen 4 --hidden 4 --embed 4 ";
  const std::pair<std::string, std::string> cases[] = {
      {ok + "--device cpu --steps 1 --batch 0", "--batch"},
      {ok + "--device cpu --steps 0", "--steps"},
      {ok + "--device cpu --steps 1 --warmup -1", "--warmup"},
      {ok + "--device tpu --steps 1", "--device"},
      {ok + "--device cpu --steps 1 --preset huge", "--preset"},
      {ok + "--device cpu --steps 1 --vocab 3", "--vocab"},
      {"--maxlen 0 --device cpu --steps 1", "--maxlen"},
      {ok + "--device cpu --steps 1 --cuda-graph maybe", "--cuda-graph expected on or off"},
  };
  for (const auto& [args, flag] : cases) {
    std::string out;
    const int rc = test::run_command(bench(args), &out);
    EXPECT_EQ(rc, 2) << args << ": " << out;  // UsageError: main exits 2
    EXPECT_NE(out.find(flag), std::string::npos) << args << ": " << out;
  }
}

TEST(BenchCli, UnknownFlagIsRejected) {
  std::string out;
  const int rc = test::run_command(bench("--no-such-flag 3"), &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("--no-such-flag"), std::string::npos) << out;
}

TEST(BenchSynthetic, BatchesLookLikePaddedReviews) {
  BackendOptions opts;
  opts.model.vocab_size = 50;
  opts.model.embed_dim = 4;
  opts.model.hidden = 4;
  opts.max_batch = 64;
  opts.maxlen = 300;
  auto backend = make_backend(Device::Cpu, opts);
  BenchBatches a(*backend, 2, 64, 300), b(*backend, 2, 64, 300);
  fill_synthetic(&a, 50, 7);
  fill_synthetic(&b, 50, 7);
  for (int k = 0; k < 2; ++k) {
    for (int r = 0; r < 64; ++r) {
      const int len = a.lengths(k)[r];
      ASSERT_GE(len, 10);
      ASSERT_LE(len, 300);
      const int32_t* row = a.ids(k) + r * 300;
      EXPECT_EQ(row[0], 1) << "start token";
      for (int s = 1; s < 300; ++s) {
        if (s < len) {
          ASSERT_GE(row[s], 3);
          ASSERT_LT(row[s], 50);
        } else {
          ASSERT_EQ(row[s], 0) << "post padding";
        }
      }
      ASSERT_TRUE(a.labels(k)[r] == 0.f || a.labels(k)[r] == 1.f);
      ASSERT_EQ(len, b.lengths(k)[r]) << "same seed, same batches";
    }
  }
}

}  // namespace
}  // namespace senti

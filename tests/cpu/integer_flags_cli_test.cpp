// Issue 20 (the reliability audit, part B): every integer flag of every subcommand refuses
// garbage, overflow and (where it is unsigned) negatives with a message naming the flag and the
// accepted range; thread counts say which of --threads and $SENTI_CPU_THREADS was wrong. All
// refused while parsing the flags: no data is read.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "host/cli/flag_names.h"
#include "test_env.h"

namespace senti {
namespace {

struct Case {
  std::string args;    // after `senti`
  std::string needle;  // in the error
};

void expect_refused(const Case& c) {
  std::string out;
  const int rc = test::run_command(test::senti_bin() + " " + c.args, &out);
  EXPECT_NE(rc, 0) << c.args << ": " << out;
  EXPECT_NE(out.find(c.needle), std::string::npos) << c.args << ": " << out;
  EXPECT_EQ(out.find("Could not convert"), std::string::npos) << c.args << ": " << out;
  EXPECT_EQ(out.find("download"), std::string::npos) << c.args << ": went past the flags: " << out;
}

TEST(ReliabilityFlags, SeedOverflowNegativeAndGarbageAreRefused) {
  const std::string range = "expected an integer in 0..18446744073709551615";
  for (const std::string cmd : {"train", "bench"}) {
    expect_refused({cmd + " --seed 18446744073709551616", "--seed: " + range + ", got '18446744073709551616'"});
    expect_refused({cmd + " --seed 99999999999999999999999", "--seed: " + range});
    expect_refused({cmd + " --seed -1", "--seed: " + range + ", got '-1'"});
    expect_refused({cmd + " --seed 1e3", "--seed: " + range});
    expect_refused({cmd + " --seed 0x10", "--seed: " + range});
  }
}

TEST(ReliabilityFlags, EveryIntegerFlagRefusesOverflowAndGarbage) {
  const std::string int32 = "expected an integer in -2147483648..2147483647";
  const std::string int64 = "expected an integer in -9223372036854775808..9223372036854775807";
  const Case cases[] = {
      {"train --epochs 99999999999", "--epochs: " + int32 + ", got '99999999999'"},
      {"train --epochs 1e3", "--epochs: " + int32 + " (decimal digits), got '1e3'"},
      {"train --batch 0x20", "--batch: " + int32},
      {"train --embed 2.5", "--embed: " + int32},
      {"train --hidden -99999999999", "--hidden: " + int32},
      {"train --ngrams +2", "--ngrams: " + int32},
      {"train --ngram-buckets 4294967296", "--ngram-buckets: " + int32},
      {"train --early-stopping x", "--early-stopping: " + int32},
      {"train --limit 9223372036854775808", "--limit: " + int64},
      {"train --test-limit 1k", "--test-limit: " + int64},
      {"train --log-every ' 5'", "--log-every: " + int64},
      {"train --tensorboard-every 10.0", "--tensorboard-every: " + int64},
      {"train --num-words 99999999999", "--num-words: " + int32},
      {"train --maxlen 5e2", "--maxlen: " + int32},
      {"prepare --num-words abc", "--num-words: " + int32},
      {"eval --checkpoint x --batch 99999999999", "--batch: " + int32},
      {"eval --checkpoint x --limit 0x10", "--limit: " + int64},
      {"predict --checkpoint x --batch 1e2 hello", "--batch: " + int32},
      {"serve --checkpoint x --port 99999999999999999999", "--port: " + int64},
      {"serve --checkpoint x --threads 1e3", "--threads: " + int64},
      {"serve --checkpoint x --max-body-bytes 1M", "--max-body-bytes: " + int64},
      {"serve --checkpoint x --request-timeout ten", "--request-timeout: " + int64},
      {"bench --steps 99999999999", "--steps: " + int32},
      {"bench --warmup 0x1", "--warmup: " + int32},
      {"bench --threads 99999999999", "--threads: " + int32},
      {"bench --vocab 1e4", "--vocab: " + int32},
  };
  for (const Case& c : cases) expect_refused(c);
}

TEST(ReliabilityFlags, LeadingZerosAreDecimalNotOctal) {
  std::string out;
  const int rc = test::run_command(test::senti_bin() + " bench --device cpu --synthetic --batch 2 "
                                   "--maxlen 4 --embed 4 --hidden 4 --vocab 50 --warmup 0 "
                                   "--steps 010 --json", &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"steps\":10"), std::string::npos) << out;  // CLI11 alone read 8
}

TEST(ReliabilityFlags, ThreadCountErrorsNameWhatTheUserGave) {
  const std::string tiny = " --device cpu --synthetic --batch 2 --maxlen 4 --embed 4 --hidden 4 "
                           "--vocab 50 --warmup 0 --steps 1";
  for (const std::string n : {"100000", "1025", "-1"}) {
    std::string out;
    EXPECT_EQ(test::run_command(test::senti_bin() + " bench --threads " + n + tiny, &out), 2) << out;
    EXPECT_NE(out.find("--threads must be in 0..1024"), std::string::npos) << n << ": " << out;
    EXPECT_NE(out.find("got " + n), std::string::npos) << n << ": " << out;
    EXPECT_EQ(out.find("SENTI_CPU_THREADS"), std::string::npos) << n << ": " << out;
  }
  for (const std::string n : {"100000", "0", "abc", "99999999999999999999"}) {
    std::string out;
    EXPECT_NE(test::run_command("SENTI_CPU_THREADS=" + n + " " + test::senti_bin() + " bench" +
                                    tiny, &out), 0) << out;
    EXPECT_NE(out.find("SENTI_CPU_THREADS must be an integer in 1..1024, got '" + n + "'"),
              std::string::npos) << n << ": " << out;
  }
  std::string out;  // in range: --threads wins over the variable
  EXPECT_EQ(test::run_command("SENTI_CPU_THREADS=abc " + test::senti_bin() + " bench --threads 2" +
                                  tiny, &out), 0) << out;
  EXPECT_EQ(test::run_command(test::senti_bin() + " bench --threads 1024" + tiny, &out), 0) << out;
}

TEST(ReliabilityFlags, AnIntegerFlagWithoutTheCheckIsCaught) {
  CLI::App app;
  int checked = 0, unchecked = 0;
  std::string text;
  CLI::App* sub = app.add_subcommand("sub");
  cli::add_integer_option(sub, "--checked", checked, "");
  sub->add_option("--text", text, "");
  EXPECT_NO_THROW(cli::require_integer_checks(app));
  sub->add_option("--unchecked", unchecked, "");
  EXPECT_THROW(cli::require_integer_checks(app), std::logic_error);
}

}  // namespace
}  // namespace senti

// senti: train and use LSTM sentiment classifiers. One binary, one subcommand per task.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/collective/collective.h"
#include "kernels/common/error.h"
#include "host/cli/commands.h"
#include "host/cli/flag_names.h"

namespace {

// "senti fly": CLI11 would answer "A subcommand is required"; say what is wrong instead.
bool unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  std::string known;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(argv[1])) return false;
    known += (known.empty() ? "" : ", ") + sub->get_name();
  }
  std::fprintf(stderr, "senti: error: unknown subcommand '%s' (expected one of: %s; see senti --help)\n",
               argv[1], known.c_str());
  return true;
}

// Output that could not be written (a full disk, /dev/full, a closed pipe) must not end in exit 0.
int check_stdout() {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return 0;
  std::fprintf(stderr, "senti: error: cannot write standard output (%s): the output is incomplete\n",
               errno ? std::strerror(errno) : "write error");
  return 1;
}

// "senti: error: " — or, in a data-parallel job, "senti: error (rank 2 of 3): " so that the one
// rank that failed is named among the job's merged output.
std::string error_prefix() {
  const auto world = senti::existing_world_collective();
  if (!world || !world->distributed()) return "senti: error: ";
  return "senti: error (rank " + std::to_string(world->rank()) + " of " +
         std::to_string(world->size()) + "): ";
}

int run(int argc, char** argv);

}  // namespace

// A failing rank of a data-parallel job ends the whole job (MPI_Abort: every rank, exit != 0)
// instead of leaving the others waiting in the next collective.
int main(int argc, char** argv) {
  const int rc = run(argc, argv);
  if (rc != 0)
    if (const auto world = senti::existing_world_collective(); world && world->distributed())
      world->abort_job(rc);
  return rc;
}

namespace {

int run(int argc, char** argv) {
  CLI::App app{"senti: a GPU-native trainer for LSTM text classifiers (IMDB sentiment)", "senti"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "senti 0.1.0");
  senti::cli::register_prepare(app);
  senti::cli::register_train(app);
  senti::cli::register_pretrain(app);
  senti::cli::register_eval(app);
  senti::cli::register_predict(app);
  senti::cli::register_serve(app);
  senti::cli::register_bench(app);
  senti::cli::register_inspect(app);
  senti::cli::register_diff(app);
  senti::cli::register_export(app);
  senti::cli::require_integer_checks(app);  // a programming error, not a usage one: it aborts
  if (unknown_subcommand(app, argc, argv)) return 2;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return check_stdout() ? 1 : rc;
  } catch (const senti::InvalidSetting& e) {  // a library rule refused a value some flag set
    std::fprintf(stderr, "%s%s %s\n", error_prefix().c_str(),
                 senti::cli::flag_for_setting(e.setting()).c_str(), e.problem().c_str());
    return 2;
  } catch (const senti::UsageError& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix().c_str(), e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%sout of memory: the sizes asked for (--batch, --maxlen, the "
                         "model's shape or the checkpoint's) need more memory than this machine has\n",
                 error_prefix().c_str());
    return 1;
  } catch (const std::length_error&) {
    std::fprintf(stderr, "%sout of memory: a size asked for (--batch, --maxlen, the model's "
                         "shape or the checkpoint's) is too large to allocate\n",
                 error_prefix().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s%s\n", error_prefix().c_str(), e.what());
    return 1;
  }
  return check_stdout();
}

}  // namespace

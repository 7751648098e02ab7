// senti: train and use LSTM sentiment classifiers. One binary, one subcommand per task.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "kernels/common/error.h"
#include "host/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"senti: a GPU-native trainer for LSTM text classifiers (IMDB sentiment)", "senti"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "senti 0.1.0");
  senti::cli::register_prepare(app);
  senti::cli::register_train(app);
  senti::cli::register_eval(app);
  senti::cli::register_predict(app);
  senti::cli::register_serve(app);
  senti::cli::register_bench(app);
  senti::cli::register_export(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const senti::UsageError& e) {
    std::fprintf(stderr, "senti: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "senti: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

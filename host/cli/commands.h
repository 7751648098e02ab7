#pragma once
// Each subcommand lives in host/cli/cmd_<name>.cpp and registers itself on the root app here.
// A command's callback throws senti::UsageError for bad input (main prints it and exits 2) and
// senti::Error for failures (exit 1).
#include <CLI/CLI.hpp>

namespace senti::cli {

void register_prepare(CLI::App& app);  // host/cli/cmd_prepare.cpp
void register_train(CLI::App& app);    // host/cli/cmd_train.cpp
void register_pretrain(CLI::App& app); // host/cli/cmd_pretrain.cpp
void register_eval(CLI::App& app);     // host/cli/cmd_eval.cpp
void register_predict(CLI::App& app);  // host/cli/cmd_predict.cpp
void register_serve(CLI::App& app);    // host/cli/cmd_serve.cpp
void register_bench(CLI::App& app);    // host/cli/cmd_bench.cpp
void register_inspect(CLI::App& app);  // host/cli/cmd_inspect.cpp
void register_diff(CLI::App& app);     // host/cli/cmd_diff.cpp
void register_export(CLI::App& app);   // host/cli/cmd_export.cpp

}  // namespace senti::cli

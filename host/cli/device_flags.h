#pragma once
// --device cpu|cuda|auto, shared by train, eval, predict, serve and bench; --lstm and --cuda-graph
// (train, bench).
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/backend.h"

namespace senti::cli {

// Adds --device (default "auto") bound to *device.
void add_device_flag(CLI::App* cmd, std::string* device);

// Adds --lstm (default "auto") bound to *lstm: which LSTM layer the CUDA backend runs.
void add_lstm_flag(CLI::App* cmd, std::string* lstm);

// Adds --cuda-graph (default "on") bound to *value; parse_cuda_graph (engine) checks the value.
void add_cuda_graph_flag(CLI::App* cmd, std::string* value);

// Parses the flag's value; UsageError for anything but cpu, cuda or auto.
Device parse_device(const std::string& device);

// Validates the flag and, for --device cuda, that a GPU is usable (UsageError saying why not),
// so commands can fail before loading data.
void require_device(const std::string& device);

// Creates the backend; with --device auto and no usable GPU it says on `log` that it fell back to
// the CPU and why. --device cuda without a GPU throws a UsageError that says why.
std::unique_ptr<Backend> open_backend(const std::string& device, const BackendOptions& opts, FILE* log);

}  // namespace senti::cli

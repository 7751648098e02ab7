#pragma once
// --checkpoint PATH, shared by eval, predict, serve and export (inspect takes the same value as a
// positional argument): one help text and one validation for every command that reads a model.
#include <string>

#include <CLI/CLI.hpp>

namespace senti::cli {

// Adds the required option `name` ("--checkpoint", or "checkpoint" for a positional) bound to
// *path: a checkpoint file or a training folder (its latest.safetensors); an empty value is
// refused.
CLI::Option* add_checkpoint_flag(CLI::App* cmd, std::string* path, const char* name = "--checkpoint");

}  // namespace senti::cli
